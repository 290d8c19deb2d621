/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SENT_SAVE_H
#define STANDBY_SENT_SAVE_H

#include "standby-sent-capture.h"

struct mailbox;
struct standby_user;
struct standby_sent_copy;

/* Capture messages that an IMAP client saves into the \Sent mailbox, for
   the Sieve action (see standby-sent-capture.h). */
void standby_sent_save_mailbox_allocated(struct mailbox *box);
/* Free the captures of the last commit. */
void standby_sent_save_user_cleanup(struct standby_user *suser);
void standby_sent_save_user_deinit(struct standby_user *suser);

/* Exported for the Sieve plugin, found by name (standby-sent-capture.h) */
standby_sent_capture_get_func_t standby_sent_capture_get;

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SENT_SAVE_H
#define STANDBY_SENT_SAVE_H

struct mailbox;
struct standby_user;

/* Capture messages that an IMAP client saves into the \Sent mailbox, for
   the Sieve action (see standby-sent-capture.h). */
void standby_sent_save_mailbox_allocated(struct mailbox *box);
/* Remove the captures that no rule queued. */
void standby_sent_save_user_cleanup(struct standby_user *suser);
void standby_sent_save_user_deinit(struct standby_user *suser);

#endif

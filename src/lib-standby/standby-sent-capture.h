/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SENT_CAPTURE_H
#define STANDBY_SENT_CAPTURE_H

struct mail;
struct istream;

/* Sent-mail captures: the mail plugin keeps a copy of a message in memory
   while an IMAP client saves it into the \Sent mailbox, and files it
   under the UID the commit gives it. The Sieve action, run by imapsieve
   inside that commit, queues the copy instead of reading the message back
   from the mailbox: imapsieve reads it through a second mailbox object,
   and for Maildir the first read of a message that this object has not
   synced yet rescans the whole mailbox directory and dovecot-uidlist, per
   message.

   The two plugins are separate modules loaded into the same process (the
   Sieve plugin also runs where the mail plugin is not loaded: LMTP
   without it, sievec, the Sieve test tool), so the action finds the
   mail plugin's function by name among the loaded mail plugins
   (module_get_symbol()) and reads the message from the mailbox when
   there is none. A copy is freed when the action takes it, or once the
   scripts of its commit have run. */

/* The module name of the mail plugin and the name of its function. */
#define STANDBY_SENT_CAPTURE_MODULE "standby"
#define STANDBY_SENT_CAPTURE_FUNC "standby_sent_capture_get"

/* Returns a stream over the copy of mail (taken while it was saved into
   \Sent, and still kept), which the caller owns; the copy is gone from
   the mail plugin then. Returns NULL when there is none. */
typedef struct istream *standby_sent_capture_get_func_t(struct mail *mail);

#endif

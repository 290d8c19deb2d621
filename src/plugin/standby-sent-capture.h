/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SENT_CAPTURE_H
#define STANDBY_SENT_CAPTURE_H

struct mail;
struct istream;

/* The mail plugin's contract with the Sieve plugin: sent-mail captures.

   The mail plugin keeps a copy of a message in memory while an IMAP
   client saves it into the \Sent mailbox, and files it under the UID the
   commit gives it (standby-sent-save.c). The Sieve action, run by
   imapsieve inside that commit, queues the copy instead of reading the
   message back from the mailbox: imapsieve reads it through a second
   mailbox object, and for Maildir the first read of a message that this
   object has not synced yet rescans the whole mailbox directory and
   dovecot-uidlist, per message.

   The Sieve plugin finds the function by name at run time
   (src/sieve/ext-mirror-capture.c says why), so this header is all it
   knows of the mail plugin. The function is one of the few symbols the
   mail plugin's .so exports (src/plugin/Makefile.am). A copy is freed
   when the action takes it, or once the scripts of its commit have
   run. */

/* The module name of the mail plugin and the name of its function. */
#define STANDBY_SENT_CAPTURE_MODULE "standby"
#define STANDBY_SENT_CAPTURE_FUNC "standby_sent_capture_get"

/* Returns a stream over the copy of mail (taken while it was saved into
   \Sent, and still kept), which the caller owns; the copy is gone from
   the mail plugin then. Returns NULL when there is none. */
typedef struct istream *standby_sent_capture_get_func_t(struct mail *mail);

#endif

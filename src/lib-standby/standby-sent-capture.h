/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SENT_CAPTURE_H
#define STANDBY_SENT_CAPTURE_H

struct istream;
struct event;

/* Sent-mail captures: the mail plugin copies a message into the user's
   state directory (capture/) while an IMAP client saves it into the \Sent
   mailbox, and names the copy after the UID it got once the save is
   committed. The Sieve action, run by imapsieve after that commit, queues
   the capture instead of reading the message back from the mailbox:
   imapsieve reads it through a second mailbox object, and for Maildir the
   first read of a message that this object has not synced yet rescans
   the whole mailbox directory and dovecot-uidlist, per message.

   A capture is disposable: whoever finds none reads the message from the
   mailbox, as before. Captures live for one IMAP command; the mail plugin
   removes those that no rule queued. */

/* <state_dir>/capture */
const char *standby_sent_capture_dir(const char *state_dir);
/* A file name in the capture directory for a message while it is being
   saved (unique per process and transaction). */
const char *standby_sent_capture_temp_path(const char *state_dir,
					   unsigned int transaction_id,
					   unsigned int save_index);
/* The name a capture gets once the message has its UID. */
const char *standby_sent_capture_path(const char *state_dir,
				      const char *mailbox_vname,
				      uint32_t uid_validity, uint32_t uid);

/* Copy input (from its current offset to EOF) into path (mode 0600, no
   fsync: a lost capture only costs the slower read). Creates the capture
   directory (0700) when it is missing. */
int standby_sent_capture_write(const char *path, struct istream *input,
			       const char **error_r);

/* Open the capture of a message. Returns 1 with *input_r (a seekable
   file stream), 0 when there is none, -1 with *error_r. */
int standby_sent_capture_open(const char *path, struct istream **input_r,
			      const char **error_r);

/* Remove leftovers older than max_age seconds (a process that died
   between the save and its command's end). */
void standby_sent_capture_cleanup(const char *state_dir, time_t max_age,
				  struct event *event);

#endif

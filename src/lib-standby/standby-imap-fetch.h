/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_IMAP_FETCH_H
#define STANDBY_IMAP_FETCH_H

#include "seq-range-array.h"

struct istream;
struct standby_imap;

/* Reading the standby account (restore, failback, verify) over the same
   synchronous imapc connection the worker uses for APPEND.

   Why not a second mail user with an imapc: location (the doveadm import
   pattern)? imapc storage fetches message by message through its own
   index and mail cache, and its errors come back as generic storage
   errors. Here one UID FETCH per batch streams all bodies of the batch in
   one round trip, large literals go to unlinked temp files (so a 30 MB
   message costs no memory), and connection/login failures keep their
   exact reason for the exit code (EX_TEMPFAIL). */

struct standby_imap_folder {
	/* UTF-8 name as the standby names it (its own separator) */
	const char *name;
	/* hierarchy separator, '\0' when the server has none */
	char sep;
	/* the standby's \Sent folder (SPECIAL-USE, or standby_sent_mailbox) */
	bool sent;
};
ARRAY_DEFINE_TYPE(standby_imap_folder, struct standby_imap_folder);

struct standby_imap_message {
	uint32_t uid;
	/* RFC822.SIZE (0 when not fetched) */
	uoff_t size;
	/* INTERNALDATE (have_date = FALSE when not fetched) */
	time_t internal_date;
	int tz_offset_mins;
	bool have_date;
	/* FLAGS without \Recent; NULL when not fetched */
	const char *const *flags;
	/* BODY[] when asked for, at offset 0, seekable; valid only during
	   the callback */
	struct istream *body;
};

enum standby_imap_fetch_flags {
	/* UID RFC822.SIZE INTERNALDATE FLAGS */
	STANDBY_IMAP_FETCH_FLAG_META = 0x01,
	/* BODY.PEEK[] */
	STANDBY_IMAP_FETCH_FLAG_BODY = 0x02,
};

typedef void standby_imap_fetch_callback_t(
	const struct standby_imap_message *msg, void *context);

/* LIST "" "*": every selectable folder, sorted by name. */
int standby_imap_list_folders(struct standby_imap *imap, pool_t pool,
			      ARRAY_TYPE(standby_imap_folder) *folders,
			      const char **error_r);

/* EXAMINE a folder (read-only: no flag changes, nothing expunged).
   Returns 1 when it exists, 0 when it does not, -1 with *error_r. */
int standby_imap_examine(struct standby_imap *imap, const char *mailbox,
			 uint32_t *uidvalidity_r, uint32_t *exists_r,
			 const char **error_r);

/* UID FETCH uids of the examined folder; callback is called once per
   message, in the order the server sends them. Returns 0 when the command
   succeeded, -1 with *error_r otherwise. */
int standby_imap_fetch(struct standby_imap *imap,
		       const ARRAY_TYPE(seq_range) *uids,
		       enum standby_imap_fetch_flags flags,
		       standby_imap_fetch_callback_t *callback, void *context,
		       const char **error_r);

/* UID FETCH uid (BODY.PEEK[]<offset.size>): a part of a large message.
   msg->body is the part (empty beyond the end of the message). Used to
   read big messages in bounded pieces: imapc keeps a whole literal in
   memory while it parses the reply. */
int standby_imap_fetch_part(struct standby_imap *imap, uint32_t uid,
			    uoff_t offset, uoff_t size,
			    standby_imap_fetch_callback_t *callback,
			    void *context, const char **error_r);

/* TRUE once the connection is gone (callers map this to EX_TEMPFAIL). */
bool standby_imap_is_disconnected(struct standby_imap *imap);

#endif

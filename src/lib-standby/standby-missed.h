/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_MISSED_H
#define STANDBY_MISSED_H

#include "standby-entry.h"

/* The missed list: <state_dir>/missed names the messages that a rule
   mirrored but that could not be queued (the queue's file system was
   full, say). The messages themselves are in the primary's mailboxes, so
   a record holds what finds one there again (size and SHA-256) and what
   its queue entry would have held. The worker queues them again once the
   queue can be written (standby-requeue.h).

   The file is created with a reserve of zero bytes whose blocks are
   allocated up front; records are written into it in place, so adding one
   needs no new block even when the file system is full. Records are
   lines from offset 0 (version, entry id, size, SHA-256, INTERNALDATE,
   its time zone, direction, queue time, folder, flags, "." as the end
   mark; tab-separated and -escaped); the first NUL byte ends them. The
   entry id is the one the message is queued under later: a record that
   was queued but not dropped (a drain killed in between) is seen to be
   in the queue or the ledger already. When the
   reserve is used up, records are appended (which needs space). All
   access is under flock() of the file. */
#define STANDBY_MISSED_FILE_NAME "missed"
#define STANDBY_MISSED_RESERVE (64 * 1024)

struct standby_missed_record {
	/* id, mailbox, flags, internal_date, tz_offset_mins, direction,
	   queued_time and size (of the bytes the rule wanted to queue) */
	struct standby_entry entry;
	/* standby_hash_lf_hex() of those bytes */
	const char *sha256_hex;
	/* the record's line, as in the file */
	const char *line;
};
ARRAY_DEFINE_TYPE(standby_missed_record, struct standby_missed_record);

/* Create the file with its reserve if it is not there (or shorter).
   Returns 0, or -1 with *error_r. */
int standby_missed_reserve(const char *state_dir, const char **error_r);
/* Add a record for entry (its id, which must be set, mailbox, flags,
   dates, direction, size) and the LF digest of its bytes, and fdatasync
   it. Returns 0, or -1 with *error_r (no file and no space for one,
   reserve full and no space to append, or a record that
   standby_missed_read() would not accept: an invalid id or digest, or a
   folder (other than "") or flag that standby-names.h refuses). */
int standby_missed_add(const char *state_dir,
		       const struct standby_entry *entry,
		       const char *sha256_hex, const char **error_r);
/* Does the file hold records? One open and a 1-byte read; FALSE also
   when the file cannot be read. */
bool standby_missed_any(const char *state_dir);
/* Read all records (allocated from pool) and the number of bytes they
   take in the file (for standby_missed_drop()). A line that cannot be
   parsed, or that holds what standby_missed_add() does not write, is
   skipped with *bad_r counting it (the caller logs the count once); so
   every record returned can be written again as it was. Returns 0, or
   -1 with *error_r; no file is the same as no records. */
int standby_missed_read(const char *state_dir, pool_t pool,
			ARRAY_TYPE(standby_missed_record) *records,
			size_t *used_r, unsigned int *bad_r,
			const char **error_r);
/* Replace the first `used` bytes of records (what standby_missed_read()
   returned) with keep (lines, each ending in LF; "" for none); records
   added since the read stay. Returns 0, or -1 with *error_r. */
int standby_missed_drop(const char *state_dir, size_t used,
			const char *keep, const char **error_r);

#endif

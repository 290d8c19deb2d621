/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_LEDGER_H
#define STANDBY_LEDGER_H

/* The ledger: what the standby accepted, one line per copy, appended in
   <state_dir>/ledger:
     <entry id>\t<tab-escaped mailbox>\t<uidvalidity>\t<uid>\t<size>\t
     <sha256 hex of the body>\t<accepted unix time>\t<direction>\n
   uidvalidity/uid are 0 when the standby has no UIDPLUS. Used by verify
   and failback to recognise mirrored copies without trusting headers. */
struct standby_ledger_record {
	const char *id;
	const char *mailbox;
	uint32_t uidvalidity, uid;
	uoff_t size;
	const char *sha256_hex;
	time_t accepted;
	const char *direction;
};

/* Append records: open, add each (written, not synced yet; -1 with
   *error_r and errno, ENOSPC/EDQUOT: the file system is full; a failed
   write leaves no partial line behind), finish (fdatasync and close; the
   writer is freed also on failure). One drain per user writes at a
   time (drain.lock). */
struct standby_ledger_writer;
int standby_ledger_writer_open(const char *state_dir,
			       struct standby_ledger_writer **writer_r,
			       const char **error_r);
int standby_ledger_writer_add(struct standby_ledger_writer *writer,
			      const struct standby_ledger_record *rec,
			      const char **error_r);
int standby_ledger_writer_finish(struct standby_ledger_writer **writer,
				 const char **error_r);

ARRAY_DEFINE_TYPE(standby_ledger_record, struct standby_ledger_record);
/* Read every record, oldest first. Fields after the eighth are ignored
   (later versions append fields at the end); malformed lines are skipped
   and counted in *bad_lines_r. Returns 0 (also when the file does not
   exist) or -1 with *error_r. */
int standby_ledger_read(const char *state_dir, pool_t pool,
			ARRAY_TYPE(standby_ledger_record) *records,
			unsigned int *bad_lines_r, const char **error_r);

/* The number of lines (records and malformed lines alike), without
   parsing them. Returns 0 (also when the file does not exist, with
   *count_r = 0) or -1 with *error_r. */
int standby_ledger_count(const char *state_dir, uintmax_t *count_r,
			 const char **error_r);

#endif

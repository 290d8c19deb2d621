/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_ENTRY_H
#define STANDBY_ENTRY_H

#include "standby-common.h"

/* One queued message. On disk (one file per entry, see standby-entry.c):

     DSQ1\n
     id=<id>\n  mailbox=<UTF-8 name, may be empty>\n
     flags=<space separated>\n  internaldate=<unix>\n
     tz=<minutes east of UTC>\n  queued=<unix>\n  direction=<incoming|outgoing>\n
     user=<tab-escaped username>\n  (absent in entries of 0.1.0)
     size=<body bytes>\n
     \n
     <body: exactly size bytes, unchanged message>
     \nEND <id>\n

   A file that does not end in the END record of its own id is torn and is
   never sent. The mailbox and the flags are what standby-names.h allows
   (no control characters, so no escapes), the dates within the limits
   below; a file holding anything else is corrupted. */
struct standby_entry {
	const char *id;
	/* UTF-8 standby folder; "" = the default folder of the direction */
	const char *mailbox;
	/* NULL-terminated IMAP flags and keywords ("\\Seen", "$Label1") */
	const char *const *flags;
	time_t internal_date;
	int tz_offset_mins;
	time_t queued_time;
	enum standby_direction direction;
	/* the user whose mail this is; NULL in entries written before the
	   record existed */
	const char *user;
	uoff_t size;

	/* Set by standby_entry_read_header(): where the body starts */
	uoff_t body_offset;
};

/* 9999-12-31 23:59:59 UTC: the last time an IMAP date-time can hold.
   Later (or negative) times make gmtime() fail when the APPEND's date is
   written, and overflow the backoff arithmetic. */
#define STANDBY_ENTRY_MAX_TIME 253402300799LL
/* The widest time zone offset, in minutes either side of UTC */
#define STANDBY_ENTRY_MAX_TZ_MINS (24*60)
/* The longest header (everything before the body, the blank line
   included), with its size field at its widest */
#define STANDBY_ENTRY_MAX_HEADER_SIZE (64*1024)

/* Generate a new unique, time-ordered entry id (also the file name). */
const char *standby_entry_id_generate(void);
bool standby_entry_id_is_valid(const char *id);
/* When the entry was queued, read from its id (no file access). */
int standby_entry_id_get_time(const char *id, time_t *time_r);

/* The dates are in range: internal_date -1 (none), 0 (unknown) or up to
   STANDBY_ENTRY_MAX_TIME, queued_time 1..STANDBY_ENTRY_MAX_TIME and
   tz_offset_mins within STANDBY_ENTRY_MAX_TZ_MINS. Returns FALSE with
   *error_r saying which is not. */
bool standby_entry_dates_are_valid(const struct standby_entry *entry,
				   const char **error_r);
/* What an entry may hold, checked by the writer (which writes nothing
   else) and the reader (which refuses anything else as corrupted), so
   that every entry read is written back as the same entry: a valid id,
   the default folder "" or a folder name and flags as standby-names.h
   defines them, valid dates and direction. (The size of the header is
   checked by the writer.) */
bool standby_entry_is_valid(const struct standby_entry *entry,
			    const char **error_r);

/* Serialize everything up to and including the blank line before the
   body. Returns -1 with *error_r (and nothing appended) when the entry is
   not valid or its header would be too long to be read. */
int standby_entry_write_header(string_t *dest,
			       const struct standby_entry *entry,
			       const char **error_r);
/* The END record written after the body. */
void standby_entry_write_trailer(string_t *dest,
				 const struct standby_entry *entry);

/* Read and validate an entry from fd (file size known through fstat):
   header syntax, body size and the END record. Returns 0 on success,
   -1 with *error_r when the file is torn or corrupted (or cannot be read). */
int standby_entry_read(int fd, const char *path, pool_t pool,
		       struct standby_entry **entry_r, const char **error_r);

#endif

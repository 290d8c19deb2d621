/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_ENTRY_H
#define STANDBY_ENTRY_H

#include "standby-common.h"

/* One queued message. On disk (one file per entry, see standby-entry.c):

     DSQ1\n
     id=<id>\n  mailbox=<tab-escaped UTF-8 name, may be empty>\n
     flags=<tab-escaped, space separated>\n  internaldate=<unix>\n
     tz=<minutes east of UTC>\n  queued=<unix>\n  direction=<incoming|outgoing>\n
     user=<tab-escaped username>\n  (absent in entries of 0.1.0)
     size=<body bytes>\n
     \n
     <body: exactly size bytes, unchanged message>
     \nEND <id>\n

   A file that does not end in the END record of its own id is torn and is
   never sent. */
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

/* Generate a new unique, time-ordered entry id (also the file name). */
const char *standby_entry_id_generate(void);
bool standby_entry_id_is_valid(const char *id);
/* When the entry was queued, read from its id (no file access). */
int standby_entry_id_get_time(const char *id, time_t *time_r);

/* Serialize everything up to and including the blank line before the
   body. */
void standby_entry_write_header(string_t *dest,
				const struct standby_entry *entry);
/* The END record written after the body. */
void standby_entry_write_trailer(string_t *dest,
				 const struct standby_entry *entry);

/* Read and validate an entry from fd (file size known through fstat):
   header syntax, body size and the END record. Returns 0 on success,
   -1 with *error_r when the file is torn or corrupted (or cannot be read). */
int standby_entry_read(int fd, const char *path, pool_t pool,
		       struct standby_entry **entry_r, const char **error_r);

#endif

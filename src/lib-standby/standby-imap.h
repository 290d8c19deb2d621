/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_IMAP_H
#define STANDBY_IMAP_H

#include "standby-common.h"

struct istream;
struct standby_settings;

/* A connection to the standby account, through lib-imap-client (imapc) with
   Dovecot's TLS iostreams. Synchronous API: every call runs imapc's ioloop
   until its replies have arrived. Must not be used in the delivery path. */
struct standby_imap;

enum standby_imap_result {
	STANDBY_IMAP_OK = 0,
	/* The server said NO: retry later (quota, temporary failure) */
	STANDBY_IMAP_NO,
	/* The server said NO and will say it again: dead-letter now
	   ([TOOBIG], [LIMIT], BAD) */
	STANDBY_IMAP_PERMANENT,
	/* Connection, TLS or login failed, or lost: nothing more can be done
	   on this connection; an APPEND in flight is uncertain. */
	STANDBY_IMAP_DISCONNECTED,
};

struct standby_imap_append {
	/* UTF-8 folder name; created on the standby when missing */
	const char *mailbox;
	const char *const *flags;
	time_t internal_date;
	int tz_offset_mins;
	/* body, seekable, known size; read from its current offset */
	struct istream *input;
	/* filled in on OK (0 when the standby has no UIDPLUS) */
	uint32_t uidvalidity, uid;
	/* filled in on failure: the server's text or the connection error */
	const char *error;
	enum standby_imap_result result;
	void *context;
};

/* The longest reply line taken from the standby, literals included
   (imapc's own default has no limit: a server sending an endless line or
   a huge literal would make us buffer all of it). imapc reads FETCH
   BODY[] literals into memory as well, so find_copy() can't compare
   larger messages. Read at connect; tests lower it. */
#define STANDBY_IMAP_DEFAULT_MAX_LINE_LENGTH (128*1024*1024)
extern size_t standby_imap_max_line_length;

/* Log imapc's own error and info lines only as debug lines (for callers
   that report every failure themselves, such as doveadm). Process-wide. */
void standby_imap_set_quiet(bool quiet);

/* Connect and log in. Returns 0 on success, -1 with *error_r (which never
   contains the password). */
int standby_imap_connect(const struct standby_settings *set,
			 struct event *event_parent,
			 struct standby_imap **imap_r, const char **error_r);
void standby_imap_disconnect(struct standby_imap **imap);
/* At process end, after the last disconnect and before lib_deinit(): free
   what the connections keep for the whole process (on 2.4 the TLS context
   cache and the settings those contexts were made from). Optional: without
   it the memory is released by the process's exit. */
void standby_imap_deinit(void);

/* Resolve the standby folder for outgoing mail: SPECIAL-USE \Sent by LIST,
   else set->sent_mailbox. */
const char *standby_imap_get_sent_mailbox(struct standby_imap *imap);

/* APPEND all of appends (pipelined), creating missing folders. Each
   element gets its own result. Returns -1 when the connection was lost
   (the elements without a result have STANDBY_IMAP_DISCONNECTED). */
int standby_imap_append_many(struct standby_imap *imap,
			     struct standby_imap_append *appends,
			     unsigned int count);

/* Does the folder already hold a message with exactly these bytes?
   (Searches by size, then compares the fetched bodies.) Returns 1 found
   (uid_r set), 0 not found, -1 error. */
int standby_imap_find_copy(struct standby_imap *imap, const char *mailbox,
			   struct istream *input, uint32_t *uidvalidity_r,
			   uint32_t *uid_r, const char **error_r);

#endif

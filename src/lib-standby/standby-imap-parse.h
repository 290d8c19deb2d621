/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_IMAP_PARSE_H
#define STANDBY_IMAP_PARSE_H

/* What the project reads itself out of the standby's replies, on top of
   lib-imap-client's parsed arguments: no connection needed, so that the
   parsing can be unit tested and fuzzed. Strings returned point into the
   arguments or the data stack. */

struct imap_arg;
struct imapc_untagged_reply;

/* A folder name from LIST as UTF-8 in dest. Fails unless it is valid
   modified UTF-7 in the form t_imap_utf8_to_utf7() gives back: commands
   with any other form of the name would address another folder. */
int standby_imap_name_to_utf8(const char *name_utf7, string_t *dest);

/* An untagged LIST reply: "* LIST (flags) sep name" */
struct standby_imap_list_reply {
	/* the name as sent (mUTF-7) */
	const char *name_utf7;
	/* UTF-8, or NULL when name_utf7 is not valid mUTF-7 */
	const char *name;
	/* hierarchy separator, '\0' when the server has none */
	char sep;
	/* \Noselect or \NonExistent */
	bool noselect;
	/* SPECIAL-USE \Sent */
	bool sent;
};

/* An untagged FETCH reply: "* n FETCH (UID u ...)" */
struct standby_imap_fetch_reply {
	/* 0 when missing */
	uint32_t uid;
	/* RFC822.SIZE */
	uoff_t size;
	bool have_size;
	/* INTERNALDATE */
	time_t internal_date;
	int tz_offset_mins;
	bool have_date;
	/* FLAGS without \Recent; NULL when not sent */
	const char *const *flags;
	/* BODY[] or BODY[]<offset>, NULL when not sent; body_idx is its
	   index in the FETCH list (to find it in the reply's file_args) */
	const struct imap_arg *body;
	unsigned int body_idx;
	/* the body was BODY[]<offset> (a part) */
	bool body_partial;
};

/* Parse the arguments of a LIST reply. Returns FALSE when they are not
   those of one. */
bool standby_imap_parse_list(const struct imap_arg *args,
			     struct standby_imap_list_reply *reply_r);
/* Parse the arguments of a FETCH reply. Returns FALSE when they are not
   those of one or its UID is invalid. */
bool standby_imap_parse_fetch(const struct imap_arg *args,
			      struct standby_imap_fetch_reply *reply_r);
/* The UIDs of a SEARCH reply, appended to uids (0 and junk skipped). */
void standby_imap_parse_search(const struct imap_arg *args,
			       ARRAY_TYPE(uint32_t) *uids);
/* The value of an [APPENDUID uidvalidity uid] response code. Returns -1
   for anything else (a uid-set from MULTIAPPEND, zeros, junk). */
int standby_imap_parse_appenduid(const char *value, uint32_t *uidvalidity_r,
				 uint32_t *uid_r);

/* An untagged "OK [UIDVALIDITY n]" (from SELECT/EXAMINE) sets
   *uidvalidity_r to n (0 when n is invalid); other replies leave it. */
void standby_imap_parse_uidvalidity(const struct imapc_untagged_reply *reply,
				    uint32_t *uidvalidity_r);

/* The body of a parsed FETCH reply as a stream (seekable, at offset 0),
   or NULL when it has none: a string, or a literal that imapc wrote to a
   file. */
struct istream *
standby_imap_fetch_reply_body(const struct imapc_untagged_reply *reply,
			      const struct standby_imap_fetch_reply *fetch);

#endif

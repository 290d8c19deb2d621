/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "imap-arg.h"
#include "imap-date.h"
#include "imap-utf7.h"
#include "imapc-client.h"
#include "standby-imap-parse.h"

int standby_imap_name_to_utf8(const char *name_utf7, string_t *dest)
{
	const char *again;
	size_t pos = str_len(dest);

	if (imap_utf7_to_utf8(name_utf7, dest) < 0 ||
	    t_imap_utf8_to_utf7(str_c(dest) + pos, &again) < 0 ||
	    strcmp(again, name_utf7) != 0) {
		str_truncate(dest, pos);
		return -1;
	}
	return 0;
}

bool standby_imap_parse_list(const struct imap_arg *args,
			     struct standby_imap_list_reply *reply_r)
{
	const struct imap_arg *flags;
	const char *flag, *sep;
	string_t *utf8;

	i_zero(reply_r);
	if (!imap_arg_get_list(&args[0], &flags) ||
	    IMAP_ARG_IS_EOL(&args[1]) ||
	    !imap_arg_get_astring(&args[2], &reply_r->name_utf7))
		return FALSE;
	for (; imap_arg_get_atom(flags, &flag); flags++) {
		if (strcasecmp(flag, "\\Noselect") == 0 ||
		    strcasecmp(flag, "\\NonExistent") == 0)
			reply_r->noselect = TRUE;
		else if (strcasecmp(flag, "\\Sent") == 0)
			reply_r->sent = TRUE;
	}
	if (imap_arg_get_nstring(&args[1], &sep) && sep != NULL)
		reply_r->sep = sep[0];

	utf8 = t_str_new(64);
	if (standby_imap_name_to_utf8(reply_r->name_utf7, utf8) == 0)
		reply_r->name = str_c(utf8);
	return TRUE;
}

static const char *const *
standby_imap_parse_fetch_flags(const struct imap_arg *arg)
{
	const struct imap_arg *list;
	ARRAY_TYPE(const_string) flags;
	const char *flag;

	if (!imap_arg_get_list(arg, &list))
		return NULL;
	t_array_init(&flags, 8);
	for (; imap_arg_get_atom(list, &flag); list++) {
		if (strcasecmp(flag, "\\Recent") != 0)
			array_push_back(&flags, &flag);
	}
	array_append_zero(&flags);
	return array_front(&flags);
}

bool standby_imap_parse_fetch(const struct imap_arg *args,
			      struct standby_imap_fetch_reply *reply_r)
{
	const struct imap_arg *list;
	unsigned int i, count;
	const char *key, *value;

	i_zero(reply_r);
	if (!imap_arg_get_list_full(&args[0], &list, &count))
		return FALSE;

	for (i = 0; i + 1 < count; i += 2) {
		if (!imap_arg_get_atom(&list[i], &key))
			break;
		if (strcasecmp(key, "UID") == 0) {
			if (!imap_arg_get_atom(&list[i+1], &value) ||
			    str_to_uint32(value, &reply_r->uid) < 0)
				return FALSE;
		} else if (strcasecmp(key, "RFC822.SIZE") == 0) {
			if (!imap_arg_get_atom(&list[i+1], &value) ||
			    str_to_uoff(value, &reply_r->size) < 0)
				reply_r->size = 0;
			else
				reply_r->have_size = TRUE;
		} else if (strcasecmp(key, "INTERNALDATE") == 0) {
			if (imap_arg_get_astring(&list[i+1], &value) &&
			    imap_parse_datetime(value,
						&reply_r->internal_date,
						&reply_r->tz_offset_mins))
				reply_r->have_date = TRUE;
		} else if (strcasecmp(key, "FLAGS") == 0) {
			reply_r->flags =
				standby_imap_parse_fetch_flags(&list[i+1]);
		} else if (strcasecmp(key, "BODY[]") == 0 ||
			   strncasecmp(key, "BODY[]<", 7) == 0) {
			reply_r->body = &list[i+1];
			reply_r->body_idx = i + 1;
			reply_r->body_partial = key[6] != '\0';
		}
	}
	return TRUE;
}

void standby_imap_parse_search(const struct imap_arg *args,
			       ARRAY_TYPE(uint32_t) *uids)
{
	const char *atom;
	uint32_t uid;

	for (; imap_arg_get_atom(args, &atom); args++) {
		if (str_to_uint32(atom, &uid) == 0 && uid > 0)
			array_push_back(uids, &uid);
	}
}

int standby_imap_parse_appenduid(const char *value, uint32_t *uidvalidity_r,
				 uint32_t *uid_r)
{
	const char *const *args = t_strsplit_spaces(value, " ");

	if (str_array_length(args) != 2 ||
	    str_to_uint32(args[0], uidvalidity_r) < 0 ||
	    str_to_uint32(args[1], uid_r) < 0 ||
	    *uidvalidity_r == 0 || *uid_r == 0) {
		*uidvalidity_r = 0;
		*uid_r = 0;
		return -1;
	}
	return 0;
}

void standby_imap_parse_uidvalidity(const struct imapc_untagged_reply *reply,
				    uint32_t *uidvalidity_r)
{
	if (strcasecmp(reply->name, "OK") == 0 &&
	    reply->resp_text_key != NULL &&
	    strcasecmp(reply->resp_text_key, "UIDVALIDITY") == 0 &&
	    reply->resp_text_value != NULL) {
		if (str_to_uint32(reply->resp_text_value, uidvalidity_r) < 0)
			*uidvalidity_r = 0;
	}
}

struct istream *
standby_imap_fetch_reply_body(const struct imapc_untagged_reply *reply,
			      const struct standby_imap_fetch_reply *fetch)
{
	const struct imap_arg *body = fetch->body;
	struct istream *input;
	unsigned int i;

	if (body == NULL)
		return NULL;
	if (body->type == IMAP_ARG_LITERAL_SIZE ||
	    body->type == IMAP_ARG_LITERAL_SIZE_NONSYNC) {
		/* large literal: imapc wrote it to an unlinked temp file,
		   closed after the untagged callback */
		for (i = 0; i < reply->file_args_count; i++) {
			const struct imapc_arg_file *farg =
				&reply->file_args[i];

			if (farg->parent_arg == &reply->args[0] &&
			    farg->list_idx == fetch->body_idx) {
				input = i_stream_create_fd(farg->fd,
							   IO_BLOCK_SIZE);
				i_stream_set_name(input, "FETCH BODY[]");
				return input;
			}
		}
		return NULL;
	}
	if (body->type == IMAP_ARG_STRING || body->type == IMAP_ARG_LITERAL) {
		input = i_stream_create_from_data(body->_data.str,
						  body->str_len);
		i_stream_set_name(input, "FETCH BODY[]");
		return input;
	}
	return NULL;
}

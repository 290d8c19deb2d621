/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The parsing of the standby's replies that the project does itself on
   top of lib-imap-client (standby-imap-parse.c) and the cleaning of the
   server's texts for error messages (standby_imap_sanitize()). The input
   is the server's side of a session: untagged replies are parsed into
   arguments with the parser flags imapc uses and passed to the LIST, FETCH
   and SEARCH parsers; the resp-text codes of OK/NO/BAD lines to the
   APPENDUID parser; every text to the sanitizer. Invariants: folder names
   are valid UTF-8, a FETCH body stream yields the literal's bytes, SEARCH
   never yields UID 0, and no text leaves the sanitizer with the
   password in it. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "unichar.h"
#include "imap-arg.h"
#include "imap-parser.h"
#include "imap-util.h"
#include "imapc-client.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-private.h"
#include "standby-imap-parse.h"
#include "fuzz-standby-common.h"

#define FUZZ_IMAP_PASSWORD "Stand8y-Secret!"
#define FUZZ_IMAP_MAX_LINE (64*1024)

static struct standby_settings fuzz_set = {
	.password = FUZZ_IMAP_PASSWORD,
};
static struct standby_imap fuzz_imap = {
	.set = &fuzz_set,
};

int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	fuzz_standby_init();
	return 0;
}

static void fuzz_imap_sanitize(const char *text)
{
	const char *clean = standby_imap_sanitize(&fuzz_imap, text);

	if (strstr(clean, FUZZ_IMAP_PASSWORD) != NULL)
		i_panic("password left in sanitized text: %s", clean);
}

/* "[KEY VALUE] text" -> KEY, VALUE (as imapc splits it) */
static void fuzz_imap_resp_text(const char *text)
{
	const char *p, *key, *value;
	uint32_t uidvalidity, uid;

	if (text[0] != '[' || (p = strchr(text, ']')) == NULL)
		return;
	key = t_strdup_until(text + 1, p);
	value = strchr(key, ' ');
	if (value != NULL) {
		key = t_strdup_until(key, value);
		value++;
	} else {
		value = "";
	}
	if (strcasecmp(key, "APPENDUID") != 0)
		return;
	if (standby_imap_parse_appenduid(value, &uidvalidity, &uid) < 0)
		i_assert(uidvalidity == 0 && uid == 0);
}

static void fuzz_imap_fetch(const struct imapc_untagged_reply *reply)
{
	struct standby_imap_fetch_reply fetch;
	struct istream *body;
	const unsigned char *data;
	size_t size;
	uoff_t total = 0;
	unsigned int i;

	if (!standby_imap_parse_fetch(reply->args, &fetch))
		return;
	for (i = 0; fetch.flags != NULL && fetch.flags[i] != NULL; i++)
		i_assert(strcasecmp(fetch.flags[i], "\\Recent") != 0);
	body = standby_imap_fetch_reply_body(reply, &fetch);
	if (body == NULL)
		return;
	while (i_stream_read_more(body, &data, &size) > 0) {
		total += size;
		i_stream_skip(body, size);
	}
	i_assert(body->stream_errno == 0);
	i_assert(total == fetch.body->str_len);
	i_stream_unref(&body);
}

static void fuzz_imap_untagged(const struct imap_arg *args)
{
	struct imapc_untagged_reply reply;
	struct standby_imap_list_reply list;
	ARRAY_TYPE(uint32_t) uids;
	const uint32_t *uidp;
	const char *name;

	i_zero(&reply);
	if (!imap_arg_get_atom(args, &name))
		return;
	args++;
	if (str_to_uint32(name, &reply.num) == 0 &&
	    !imap_arg_get_atom(args++, &name))
		return;
	reply.name = name;
	reply.args = args;

	if (strcasecmp(name, "LIST") == 0) {
		if (standby_imap_parse_list(args, &list) && list.name != NULL)
			i_assert(uni_utf8_str_is_valid(list.name));
	} else if (strcasecmp(name, "FETCH") == 0) {
		fuzz_imap_fetch(&reply);
	} else if (strcasecmp(name, "SEARCH") == 0) {
		t_array_init(&uids, 8);
		standby_imap_parse_search(args, &uids);
		array_foreach(&uids, uidp)
			i_assert(*uidp != 0);
	} else if (strcasecmp(name, "OK") == 0 ||
		   strcasecmp(name, "NO") == 0 ||
		   strcasecmp(name, "BAD") == 0 ||
		   strcasecmp(name, "BYE") == 0) {
		const char *text = imap_args_to_str(args);

		fuzz_imap_resp_text(text);
		fuzz_imap_sanitize(text);
	}
}

/* Handle one line; FALSE when the input is used up */
static bool
fuzz_imap_line(struct istream *input, struct imap_parser *parser)
{
	const struct imap_arg *args;
	const char *tag, *line, *text;
	int ret;

	imap_parser_reset(parser);
	if (i_stream_get_data_size(input) == 0 ||
	    (tag = imap_parser_read_word(parser)) == NULL)
		return FALSE;
	if (strcmp(tag, "*") == 0) {
		ret = imap_parser_read_args(parser, 0,
					    IMAP_PARSE_FLAG_ATOM_ALLCHARS |
					    IMAP_PARSE_FLAG_LITERAL8 |
					    IMAP_PARSE_FLAG_SERVER_TEXT, &args);
		if (ret == -2)
			return FALSE;
		if (ret >= 0)
			fuzz_imap_untagged(args);
		/* the line end, or the rest of the line after an error */
		(void)i_stream_next_line(input);
		return TRUE;
	}
	if ((line = i_stream_next_line(input)) == NULL)
		return FALSE;
	/* tagged reply: "tag OK [CODE ...] text" */
	text = strchr(line, ' ');
	text = text == NULL ? "" : text + 1;
	fuzz_imap_resp_text(text);
	fuzz_imap_sanitize(text);
	return TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct istream *input;
	struct imap_parser *parser;
	bool more = TRUE;

	input = i_stream_create_from_data(data, size);
	parser = imap_parser_create(input, NULL, FUZZ_IMAP_MAX_LINE, NULL);
	(void)i_stream_read(input);
	while (more) T_BEGIN {
		more = fuzz_imap_line(input, parser);
		if (!more) {
			/* what is left: a reply cut off by a disconnect */
			const unsigned char *rest;
			size_t rest_size;

			rest = i_stream_get_data(input, &rest_size);
			fuzz_imap_sanitize(t_strndup(rest, rest_size));
		}
	} T_END;
	imap_parser_unref(&parser);
	i_stream_unref(&input);
	return 0;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "imap-arg.h"
#include "imap-parser.h"
#include "imapc-client.h"
#include "test-common.h"
#include "standby-imap-parse.h"

static struct istream *test_input;
static struct imap_parser *test_parser;

/* The arguments of a reply line after "* NAME ", parsed as imapc does */
static const struct imap_arg *test_args(const char *line)
{
	const struct imap_arg *args;

	if (test_parser != NULL) {
		imap_parser_unref(&test_parser);
		i_stream_unref(&test_input);
	}
	line = t_strconcat(line, "\r\n", NULL);
	test_input = i_stream_create_from_data(line, strlen(line));
	test_parser = imap_parser_create(test_input, NULL, 65536, NULL);
	(void)i_stream_read(test_input);
	if (imap_parser_read_args(test_parser, 0,
				  IMAP_PARSE_FLAG_ATOM_ALLCHARS |
				  IMAP_PARSE_FLAG_LITERAL8 |
				  IMAP_PARSE_FLAG_SERVER_TEXT, &args) < 0)
		i_panic("can't parse test line: %s", line);
	return args;
}

static void test_args_free(void)
{
	imap_parser_unref(&test_parser);
	i_stream_unref(&test_input);
}

static void test_standby_imap_parse_list(void)
{
	struct standby_imap_list_reply list;

	test_begin("standby imap parse: LIST");
	test_assert(standby_imap_parse_list(
		test_args("(\\HasNoChildren \\Sent) \"/\" \"Sent Items\""),
		&list));
	test_assert_strcmp(list.name, "Sent Items");
	test_assert(list.sep == '/' && list.sent && !list.noselect);

	test_assert(standby_imap_parse_list(
		test_args("(\\Noselect \\HasChildren) \".\" Archiv"), &list));
	test_assert(list.noselect && !list.sent && list.sep == '.');

	test_assert(standby_imap_parse_list(
		test_args("() NIL \"K&APw-nden\""), &list));
	test_assert_strcmp(list.name, "K\xc3\xbcnden");
	test_assert(list.sep == '\0');

	/* invalid mUTF-7: the raw name is kept for the message */
	test_assert(standby_imap_parse_list(
		test_args("() \"/\" \"Bad&-utf7&AAA\""), &list));
	test_assert(list.name == NULL);
	test_assert_strcmp(list.name_utf7, "Bad&-utf7&AAA");

	test_assert(!standby_imap_parse_list(test_args("(\\Sent) \"/\""),
					     &list));
	test_assert(!standby_imap_parse_list(test_args("Sent \"/\" x"),
					     &list));
	test_args_free();
	test_end();
}

static void test_standby_imap_parse_fetch(void)
{
	struct standby_imap_fetch_reply fetch;
	struct imapc_untagged_reply reply;
	const struct imap_arg *args;
	struct istream *body;
	const unsigned char *data;
	size_t size;

	test_begin("standby imap parse: FETCH");
	args = test_args("(UID 7 RFC822.SIZE 22 "
			 "INTERNALDATE \"14-Nov-2023 22:13:20 +0100\" "
			 "FLAGS (\\Seen \\Recent $Order) BODY[] {3}\r\nabc)");
	test_assert(standby_imap_parse_fetch(args, &fetch));
	test_assert(fetch.uid == 7);
	test_assert(fetch.have_size && fetch.size == 22);
	test_assert(fetch.have_date && fetch.tz_offset_mins == 60 &&
		    fetch.internal_date == 1699996400);
	test_assert(fetch.flags != NULL &&
		    str_array_length(fetch.flags) == 2);
	test_assert_strcmp(fetch.flags[0], "\\Seen");
	test_assert_strcmp(fetch.flags[1], "$Order");
	test_assert(fetch.body != NULL && !fetch.body_partial);

	i_zero(&reply);
	reply.name = "FETCH";
	reply.args = args;
	body = standby_imap_fetch_reply_body(&reply, &fetch);
	test_assert(body != NULL);
	if (body != NULL) {
		test_assert(i_stream_read_more(body, &data, &size) > 0 &&
			    size == 3 && memcmp(data, "abc", 3) == 0);
		i_stream_unref(&body);
	}

	/* a part; an unsolicited flag change; junk */
	test_assert(standby_imap_parse_fetch(
		test_args("(UID 8 BODY[]<0> \"part\")"), &fetch));
	test_assert(fetch.uid == 8 && fetch.body_partial);
	test_assert(standby_imap_parse_fetch(
		test_args("(FLAGS (\\Deleted))"), &fetch));
	test_assert(fetch.uid == 0 && fetch.body == NULL);
	test_assert(!standby_imap_parse_fetch(test_args("(UID x)"), &fetch));
	test_assert(standby_imap_parse_fetch(
		test_args("(UID 9 RFC822.SIZE -1 INTERNALDATE \"never\")"),
		&fetch));
	test_assert(fetch.uid == 9 && !fetch.have_size && !fetch.have_date &&
		    fetch.flags == NULL);
	test_assert(!standby_imap_parse_fetch(test_args("UID 7"), &fetch));
	test_args_free();
	test_end();
}

static void test_standby_imap_parse_search(void)
{
	ARRAY_TYPE(uint32_t) uids;
	const uint32_t *uid;
	unsigned int count;

	test_begin("standby imap parse: SEARCH");
	t_array_init(&uids, 8);
	standby_imap_parse_search(test_args("1 3 0 x 4294967295 4294967296"),
				  &uids);
	uid = array_get(&uids, &count);
	test_assert(count == 3);
	if (count == 3) {
		test_assert(uid[0] == 1 && uid[1] == 3 &&
			    uid[2] == 4294967295U);
	}
	test_args_free();
	test_end();
}

static void test_standby_imap_parse_appenduid(void)
{
	uint32_t uidvalidity, uid;

	test_begin("standby imap parse: APPENDUID");
	test_assert(standby_imap_parse_appenduid("1700000000 42",
						 &uidvalidity, &uid) == 0);
	test_assert(uidvalidity == 1700000000 && uid == 42);
	/* MULTIAPPEND's uid-set, too few, too many, overflow */
	test_assert(standby_imap_parse_appenduid("1 40:42", &uidvalidity,
						 &uid) == -1);
	test_assert(uidvalidity == 0 && uid == 0);
	test_assert(standby_imap_parse_appenduid("1", &uidvalidity,
						 &uid) == -1);
	test_assert(standby_imap_parse_appenduid("1 2 3", &uidvalidity,
						 &uid) == -1);
	test_assert(standby_imap_parse_appenduid("1 4294967296",
						 &uidvalidity, &uid) == -1);
	test_assert(standby_imap_parse_appenduid("", &uidvalidity,
						 &uid) == -1);
	/* zero is no UIDVALIDITY and no UID */
	test_assert(standby_imap_parse_appenduid("0 5", &uidvalidity,
						 &uid) == -1);
	test_assert(standby_imap_parse_appenduid("5 0", &uidvalidity,
						 &uid) == -1);
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_standby_imap_parse_list,
		test_standby_imap_parse_fetch,
		test_standby_imap_parse_search,
		test_standby_imap_parse_appenduid,
		NULL
	};
	return test_run(test_functions);
}

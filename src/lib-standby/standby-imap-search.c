/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Is a message already on the standby? Asked before an uncertain APPEND
   is sent again: EXAMINE the folder, SEARCH by size (and Message-ID),
   FETCH the candidates and compare their bytes. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
#include "istream.h"
#include "istream-crlf.h"
#include "imap-quote.h"
#include "imap-utf7.h"
#include "message-header-parser.h"
#include "standby-imap.h"
#include "standby-imap-private.h"
#include "standby-imap-parse.h"

/* find_copy() fetches at most this many same-sized candidates (the newest) */
#define STANDBY_IMAP_MAX_FIND_CANDIDATES 50
/* find_copy() searches by a Message-ID up to this long */
#define STANDBY_IMAP_MAX_MESSAGE_ID_LEN 250

struct standby_imap_find {
	/* first: the untagged callbacks get it as their context */
	struct standby_imap_request req;
	struct istream *input;
	uoff_t start_offset, size;

	uint32_t uidvalidity;
	ARRAY_TYPE(uint32_t) uids;
	uint32_t found_uid;
	char *compare_error;
};

static void
standby_imap_find_examine_untagged(const struct imapc_untagged_reply *reply,
				   void *context)
{
	struct standby_imap_find *ctx = context;

	standby_imap_parse_uidvalidity(reply, &ctx->uidvalidity);
}

static void
standby_imap_find_search_untagged(const struct imapc_untagged_reply *reply,
				  void *context)
{
	struct standby_imap_find *ctx = context;

	if (strcasecmp(reply->name, "SEARCH") == 0)
		standby_imap_parse_search(reply->args, &ctx->uids);
}

/* Compare two streams to the end; 1 equal, 0 different, -1 read error */
static int standby_imap_streams_equal(struct istream *a, struct istream *b)
{
	const unsigned char *data_a, *data_b;
	size_t size_a, size_b, n;
	int ret_a, ret_b;

	for (;;) {
		ret_a = i_stream_read_more(a, &data_a, &size_a);
		ret_b = i_stream_read_more(b, &data_b, &size_b);
		if (ret_a <= 0 || ret_b <= 0)
			break;
		n = I_MIN(size_a, size_b);
		if (memcmp(data_a, data_b, n) != 0)
			return 0;
		i_stream_skip(a, n);
		i_stream_skip(b, n);
	}
	if (a->stream_errno != 0 || b->stream_errno != 0)
		return -1;
	/* blocking streams: 0 can't happen, -1 is EOF */
	return ret_a == -1 && ret_b == -1 ? 1 : 0;
}

static void
standby_imap_find_compare(struct standby_imap_find *ctx, uint32_t uid,
			  struct istream *fetched)
{
	struct istream *input, *input_lf, *fetched_lf;
	int ret;

	/* IMAP servers may store bare LFs and send CRLFs: compare the
	   messages with CRLF and LF as the same line end */
	input = i_stream_create_range(ctx->input, ctx->start_offset,
				      ctx->size);
	input_lf = i_stream_create_lf(input);
	fetched_lf = i_stream_create_lf(fetched);
	ret = standby_imap_streams_equal(input_lf, fetched_lf);
	if (ret < 0 && ctx->compare_error == NULL) {
		ctx->compare_error = i_strdup_printf("read(%s) failed: %s",
			input_lf->stream_errno != 0 ?
			i_stream_get_name(input_lf) : "fetched message",
			input_lf->stream_errno != 0 ?
			i_stream_get_error(input_lf) :
			i_stream_get_error(fetched_lf));
	} else if (ret > 0) {
		ctx->found_uid = uid;
	}
	i_stream_unref(&fetched_lf);
	i_stream_unref(&input_lf);
	i_stream_unref(&input);
}

static void
standby_imap_find_fetch_untagged(const struct imapc_untagged_reply *reply,
				 void *context)
{
	struct standby_imap_find *ctx = context;
	struct standby_imap_fetch_reply fetch;
	struct istream *fetched;

	if (ctx->found_uid != 0 || strcasecmp(reply->name, "FETCH") != 0 ||
	    !standby_imap_parse_fetch(reply->args, &fetch) ||
	    fetch.uid == 0 || fetch.body_partial)
		return;
	/* the whole message (a part must not count as a copy) */
	fetched = standby_imap_fetch_reply_body(reply, &fetch);
	if (fetched == NULL)
		return;
	standby_imap_find_compare(ctx, fetch.uid, fetched);
	i_stream_unref(&fetched);
}

/* Size of the message from its current offset to the end, and the size
   it has when every bare LF is a CRLF */
static int
standby_imap_input_sizes(struct istream *input, uoff_t *size_r,
			 uoff_t *crlf_size_r, const char **error_r)
{
	const unsigned char *data;
	size_t size, i;
	uoff_t total = 0, bare_lfs = 0;
	bool prev_cr = FALSE;
	int ret;

	while ((ret = i_stream_read_more(input, &data, &size)) > 0) {
		for (i = 0; i < size; i++) {
			if (data[i] == '\n' && !prev_cr)
				bare_lfs++;
			prev_cr = data[i] == '\r';
		}
		total += size;
		i_stream_skip(input, size);
	}
	if (input->stream_errno != 0) {
		*error_r = t_strdup_printf("read(%s) failed: %s",
					   i_stream_get_name(input),
					   i_stream_get_error(input));
		return -1;
	}
	*size_r = total;
	*crlf_size_r = total + bare_lfs;
	return 0;
}

/* The message's Message-ID (its <...> part), or NULL when it has none
   fit for a SEARCH */
static const char *standby_imap_input_message_id(struct istream *input)
{
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	const char *value = NULL, *start, *end;
	const unsigned char *p;

	parser = message_parse_header_init(input, NULL, 0);
	while (message_parse_header_next(parser, &hdr) > 0) {
		if (hdr->eoh)
			break;
		if (strcasecmp(hdr->name, "Message-ID") != 0)
			continue;
		if (hdr->continues) {
			hdr->use_full_value = TRUE;
			continue;
		}
		value = t_strndup(hdr->full_value, hdr->full_value_len);
		break;
	}
	message_parse_header_deinit(&parser);
	if (value == NULL || (start = strchr(value, '<')) == NULL ||
	    (end = strchr(start, '>')) == NULL ||
	    end - start > STANDBY_IMAP_MAX_MESSAGE_ID_LEN)
		return NULL;
	value = t_strdup_until(start, end + 1);
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		/* printable ASCII only: a quoted string, and no charset */
		if (*p < 0x21 || *p > 0x7e)
			return NULL;
	}
	return value;
}

static int uint32_cmp(const uint32_t *a, const uint32_t *b)
{
	return *a < *b ? -1 : (*a > *b ? 1 : 0);
}

static int
standby_imap_find_copy_real(struct standby_imap_find *ctx,
			    const char *mailbox, const char **error_r)
{
	const uint32_t *uids;
	unsigned int i, count, first;
	const char *name_utf7;
	uoff_t size, crlf_size;
	string_t *cmd;
	struct istream *input;
	const char *message_id, *error;
	int ret;

	if (t_imap_utf8_to_utf7(mailbox, &name_utf7) < 0) {
		*error_r = t_strdup_printf("Invalid folder name: %s",
					   str_sanitize(mailbox, 128));
		return -1;
	}
	input = i_stream_create_range(ctx->input, ctx->start_offset,
				      (uoff_t)-1);
	ret = standby_imap_input_sizes(input, &size, &crlf_size, error_r);
	i_stream_unref(&input);
	if (ret < 0)
		return -1;
	ctx->size = size;
	if (size == 0 || crlf_size >= (uoff_t)UINT_MAX)
		return 0;
	if (crlf_size > ctx->req.imap->max_line_length - 1024) {
		/* imapc would read each candidate into memory */
		*error_r = t_strdup_printf("Can't look for a message of "
			"%"PRIuUOFF_T" bytes on the standby (limit %zu)",
			crlf_size, ctx->req.imap->max_line_length - 1024);
		return -1;
	}

	cmd = t_str_new(128);
	str_append(cmd, "EXAMINE ");
	imap_append_quoted(cmd, name_utf7);
	if (standby_imap_request_run(&ctx->req,
				     standby_imap_find_examine_untagged,
				     str_c(cmd), &error) < 0) {
		if (ctx->req.state == IMAPC_COMMAND_STATE_NO &&
		    (ctx->req.resp_key == NULL ||
		     strcasecmp(ctx->req.resp_key, "NONEXISTENT") == 0)) {
			e_debug(ctx->req.imap->event, "find_copy: %s: %s",
				mailbox, error);
			return 0;
		}
		*error_r = t_strdup_printf("EXAMINE %s failed: %s",
					   mailbox, error);
		return -1;
	}

	str_truncate(cmd, 0);
	str_printfa(cmd, "UID SEARCH LARGER %"PRIuUOFF_T
		    " SMALLER %"PRIuUOFF_T, size - 1, crlf_size + 1);
	/* Many messages may have the same size (an order notification
	   template), and the copy may be older than the newest
	   candidates: other mail may have been sent after it while the
	   entry waited. Its Message-ID narrows the candidates down. */
	input = i_stream_create_range(ctx->input, ctx->start_offset,
				      (uoff_t)-1);
	message_id = standby_imap_input_message_id(input);
	i_stream_unref(&input);
	if (message_id != NULL) {
		str_append(cmd, " HEADER Message-ID ");
		imap_append_quoted(cmd, message_id);
	}
	if (standby_imap_request_run(&ctx->req,
				     standby_imap_find_search_untagged,
				     str_c(cmd), &error) < 0) {
		*error_r = t_strdup_printf("SEARCH in %s failed: %s",
					   mailbox, error);
		return -1;
	}
	array_sort(&ctx->uids, uint32_cmp);
	uids = array_get(&ctx->uids, &count);
	if (count == 0)
		return 0;

	first = count > STANDBY_IMAP_MAX_FIND_CANDIDATES ?
		count - STANDBY_IMAP_MAX_FIND_CANDIDATES : 0;
	str_truncate(cmd, 0);
	str_append(cmd, "UID FETCH ");
	for (i = first; i < count; i++) {
		if (i > first)
			str_append_c(cmd, ',');
		str_printfa(cmd, "%u", uids[i]);
	}
	str_append(cmd, " (UID BODY.PEEK[])");
	e_debug(ctx->req.imap->event, "find_copy: %u candidates in %s",
		count - first, mailbox);
	ret = standby_imap_request_run(&ctx->req,
				       standby_imap_find_fetch_untagged,
				       str_c(cmd), &error);
	if (ctx->found_uid != 0)
		return 1;
	if (ctx->compare_error != NULL) {
		*error_r = t_strdup(ctx->compare_error);
		return -1;
	}
	if (ret < 0) {
		*error_r = t_strdup_printf("FETCH in %s failed: %s",
					   mailbox, error);
		return -1;
	}
	return 0;
}

int standby_imap_find_copy(struct standby_imap *imap, const char *mailbox,
			   struct istream *input, uint32_t *uidvalidity_r,
			   uint32_t *uid_r, const char **error_r)
{
	struct standby_imap_find ctx;
	char *error = NULL;
	int ret;

	i_assert(imap->pending == 0);
	i_free(imap->captured_error);

	*uidvalidity_r = 0;
	*uid_r = 0;
	if (imap->disconnect_error != NULL) {
		*error_r = t_strdup(imap->disconnect_error);
		return -1;
	}

	i_zero(&ctx);
	ctx.req.imap = imap;
	ctx.input = input;
	ctx.start_offset = input->v_offset;
	i_array_init(&ctx.uids, 64);

	T_BEGIN {
		const char *error2;

		ret = standby_imap_find_copy_real(&ctx, mailbox, &error2);
		if (ret < 0)
			error = i_strdup(error2);
	} T_END;
	i_stream_seek(input, ctx.start_offset);

	if (ret < 0) {
		*error_r = t_strdup(error);
		i_free_and_null(error);
	} else if (ret > 0) {
		*uidvalidity_r = ctx.uidvalidity;
		*uid_r = ctx.found_uid;
		e_debug(imap->event, "find_copy: found in %s as uid %u",
			mailbox, ctx.found_uid);
	} else if (ret == 0) {
		*uidvalidity_r = ctx.uidvalidity;
	}
	array_free(&ctx.uids);
	standby_imap_request_free(&ctx.req);
	i_free(ctx.compare_error);
	return ret;
}

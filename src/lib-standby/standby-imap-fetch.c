/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
#include "istream.h"
#include "imap-quote.h"
#include "imap-util.h"
#include "imap-utf7.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-private.h"
#include "standby-imap-fetch.h"
#include "standby-imap-parse.h"

struct standby_imap_list_ctx {
	struct standby_imap_request req;
	pool_t pool;
	ARRAY_TYPE(standby_imap_folder) *folders;
};

struct standby_imap_examine_ctx {
	struct standby_imap_request req;
	uint32_t uidvalidity, exists;
};

struct standby_imap_fetch_ctx {
	struct standby_imap_request req;
	enum standby_imap_fetch_flags flags;
	standby_imap_fetch_callback_t *callback;
	void *context;
};

bool standby_imap_is_disconnected(struct standby_imap *imap)
{
	return imap->disconnect_error != NULL;
}

/* LIST */

static void
standby_imap_folders_untagged(const struct imapc_untagged_reply *reply,
			      void *context)
{
	struct standby_imap_list_ctx *ctx = context;
	struct standby_imap_list_reply list;
	struct standby_imap_folder *folder;

	if (strcasecmp(reply->name, "LIST") != 0 ||
	    !standby_imap_parse_list(reply->args, &list) || list.noselect)
		return;
	if (list.name == NULL) {
		e_warning(ctx->req.imap->event,
			  "Skipping folder with an invalid mUTF-7 name: %s",
			  str_sanitize(list.name_utf7, 128));
		return;
	}
	folder = array_append_space(ctx->folders);
	folder->name = p_strdup(ctx->pool, list.name);
	folder->sep = list.sep;
	folder->sent = list.sent;
}

static int
standby_imap_folder_cmp(const struct standby_imap_folder *a,
			const struct standby_imap_folder *b)
{
	return strcmp(a->name, b->name);
}

int standby_imap_list_folders(struct standby_imap *imap, pool_t pool,
			      ARRAY_TYPE(standby_imap_folder) *folders,
			      const char **error_r)
{
	struct standby_imap_list_ctx ctx;
	struct standby_imap_folder *folder;
	const char *sent, *error;
	bool have_sent = FALSE;
	int ret;

	/* resolves SPECIAL-USE \Sent or the configured fallback */
	sent = t_strdup(standby_imap_get_sent_mailbox(imap));

	i_zero(&ctx);
	ctx.req.imap = imap;
	ctx.pool = pool;
	ctx.folders = folders;
	ret = standby_imap_request_run(&ctx.req,
		standby_imap_folders_untagged,
		imap->special_use ? "LIST \"\" \"*\" RETURN (SPECIAL-USE)" :
		"LIST \"\" \"*\"", &error);
	standby_imap_request_free(&ctx.req);
	if (ret < 0) {
		*error_r = t_strdup_printf("LIST failed: %s", error);
		return -1;
	}
	array_foreach_modifiable(folders, folder)
		have_sent = have_sent || folder->sent;
	if (!have_sent) {
		array_foreach_modifiable(folders, folder) {
			if (strcmp(folder->name, sent) == 0)
				folder->sent = TRUE;
		}
	}
	array_sort(folders, standby_imap_folder_cmp);
	return 0;
}

/* EXAMINE */

static void
standby_imap_examine_untagged(const struct imapc_untagged_reply *reply,
			      void *context)
{
	struct standby_imap_examine_ctx *ctx = context;

	if (strcasecmp(reply->name, "EXISTS") == 0)
		ctx->exists = reply->num;
	else
		standby_imap_parse_uidvalidity(reply, &ctx->uidvalidity);
}

int standby_imap_examine(struct standby_imap *imap, const char *mailbox,
			 uint32_t *uidvalidity_r, uint32_t *exists_r,
			 const char **error_r)
{
	struct standby_imap_examine_ctx ctx;
	const char *name_utf7, *error;
	string_t *cmd;
	int ret;

	*uidvalidity_r = 0;
	*exists_r = 0;
	if (t_imap_utf8_to_utf7(mailbox, &name_utf7) < 0) {
		*error_r = t_strdup_printf("Invalid folder name: %s",
					   str_sanitize(mailbox, 128));
		return -1;
	}
	cmd = t_str_new(128);
	str_append(cmd, "EXAMINE ");
	imap_append_astring(cmd, name_utf7);

	i_zero(&ctx);
	ctx.req.imap = imap;
	ret = standby_imap_request_run(&ctx.req,
				       standby_imap_examine_untagged,
				       str_c(cmd), &error);
	if (ret == 0) {
		*uidvalidity_r = ctx.uidvalidity;
		*exists_r = ctx.exists;
		ret = 1;
	} else if (ctx.req.state == IMAPC_COMMAND_STATE_NO &&
		   (ctx.req.resp_key == NULL ||
		    strcasecmp(ctx.req.resp_key, "NONEXISTENT") == 0)) {
		ret = 0;
	} else {
		*error_r = t_strdup_printf("EXAMINE %s failed: %s",
					   str_sanitize(mailbox, 128), error);
	}
	standby_imap_request_free(&ctx.req);
	return ret;
}

/* FETCH */

static void
standby_imap_fetch_untagged(const struct imapc_untagged_reply *reply,
			    void *context)
{
	struct standby_imap_fetch_ctx *ctx = context;
	struct standby_imap_fetch_reply fetch;
	struct standby_imap_message msg;

	if (strcasecmp(reply->name, "FETCH") != 0 ||
	    !standby_imap_parse_fetch(reply->args, &fetch) || fetch.uid == 0)
		return;

	i_zero(&msg);
	msg.uid = fetch.uid;
	msg.size = fetch.size;
	msg.internal_date = fetch.internal_date;
	msg.tz_offset_mins = fetch.tz_offset_mins;
	msg.have_date = fetch.have_date;
	msg.flags = fetch.flags;
	if ((ctx->flags & STANDBY_IMAP_FETCH_FLAG_BODY) != 0) {
		/* whole, or a part (BODY[]<offset>); an unsolicited FETCH
		   (flag change by another session) has no body: not ours */
		msg.body = standby_imap_fetch_reply_body(reply, &fetch);
		if (msg.body == NULL)
			return;
	} else if ((ctx->flags & STANDBY_IMAP_FETCH_FLAG_META) != 0 &&
		   (msg.flags == NULL || !fetch.have_size)) {
		return;
	}
	ctx->callback(&msg, ctx->context);
	i_stream_unref(&msg.body);
}

/* imap_write_seq_range(), with (uint32_t)-1 written as "*" */
static void
standby_imap_write_uids(string_t *dest, const ARRAY_TYPE(seq_range) *uids)
{
	const struct seq_range *range;

	array_foreach(uids, range) {
		if (str_len(dest) > 0 && str_c(dest)[str_len(dest)-1] != ' ')
			str_append_c(dest, ',');
		str_printfa(dest, "%u", range->seq1);
		if (range->seq2 == (uint32_t)-1)
			str_append(dest, ":*");
		else if (range->seq1 != range->seq2)
			str_printfa(dest, ":%u", range->seq2);
	}
}

static int
standby_imap_fetch_run(struct standby_imap *imap, const char *cmd,
		       enum standby_imap_fetch_flags flags,
		       standby_imap_fetch_callback_t *callback, void *context,
		       const char **error_r)
{
	struct standby_imap_fetch_ctx ctx;
	const char *error;
	int ret;

	i_zero(&ctx);
	ctx.req.imap = imap;
	ctx.flags = flags;
	ctx.callback = callback;
	ctx.context = context;
	ret = standby_imap_request_run(&ctx.req, standby_imap_fetch_untagged,
				       cmd, &error);
	standby_imap_request_free(&ctx.req);
	if (ret < 0)
		*error_r = t_strdup_printf("FETCH failed: %s", error);
	return ret;
}

int standby_imap_fetch(struct standby_imap *imap,
		       const ARRAY_TYPE(seq_range) *uids,
		       enum standby_imap_fetch_flags flags,
		       standby_imap_fetch_callback_t *callback, void *context,
		       const char **error_r)
{
	string_t *cmd;

	if (array_count(uids) == 0)
		return 0;
	cmd = t_str_new(256);
	str_append(cmd, "UID FETCH ");
	standby_imap_write_uids(cmd, uids);
	str_append(cmd, " (UID");
	if ((flags & STANDBY_IMAP_FETCH_FLAG_META) != 0)
		str_append(cmd, " RFC822.SIZE INTERNALDATE FLAGS");
	if ((flags & STANDBY_IMAP_FETCH_FLAG_BODY) != 0)
		str_append(cmd, " BODY.PEEK[]");
	str_append_c(cmd, ')');
	return standby_imap_fetch_run(imap, str_c(cmd), flags, callback,
				      context, error_r);
}

int standby_imap_fetch_part(struct standby_imap *imap, uint32_t uid,
			    uoff_t offset, uoff_t size,
			    standby_imap_fetch_callback_t *callback,
			    void *context, const char **error_r)
{
	const char *cmd = t_strdup_printf(
		"UID FETCH %u (UID BODY.PEEK[]<%"PRIuUOFF_T".%"PRIuUOFF_T">)",
		uid, offset, size);

	return standby_imap_fetch_run(imap, cmd, STANDBY_IMAP_FETCH_FLAG_BODY,
				      callback, context, error_r);
}

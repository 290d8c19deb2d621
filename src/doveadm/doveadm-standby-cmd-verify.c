/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* doveadm standby verify [-u user|-A] [--repair]: check that every copy
   the ledger records is still on the standby with the same bytes.

   Per standby folder: when the folder's UIDVALIDITY is the recorded one,
   the recorded UIDs are fetched and their SHA-256 compared. Records whose
   UID is gone (or whose folder changed UIDVALIDITY, or that have no UID
   because the standby lacks UIDPLUS) are looked for by content: messages
   of a fitting size are fetched and hashed. What is found nowhere is
   missing; a UID with other bytes and no copy elsewhere is altered.
   --repair finds the primary's message with the recorded size and
   SHA-256 and queues it again for the worker. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "mail-storage.h"
#include "doveadm-print.h"
#include "standby-settings.h"
#include "standby-ledger.h"
#include "standby-entry.h"
#include "standby-queue.h"
#include "standby-requeue.h"
#include "standby-poke.h"
#include "standby-hash.h"
#include "standby-imap.h"
#include "standby-imap-fetch.h"
#include "doveadm-standby-cmd.h"

#define VERIFY_BATCH_MAX_MESSAGES 250

enum verify_state {
	VERIFY_UNKNOWN = 0,
	VERIFY_OK,
	/* the recorded UID holds other bytes */
	VERIFY_ALTERED,
};

struct verify_record {
	const struct standby_ledger_record *rec;
	enum verify_state state;
	bool uid_present;
	bool requeued;
};

struct standby_verify_cmd_context {
	struct doveadm_standby_cmd_context ctx;
	bool repair;
};

struct verify_folder {
	struct doveadm_standby_cmd_context *cmd;
	const char *name;
	uint32_t uidvalidity;
	/* records of this folder */
	ARRAY(struct verify_record *) records;
	/* fallback: size-fitting UIDs of the folder not matched yet */
	ARRAY_TYPE(seq_range) candidates;
};

static bool verify_size_fits(const struct verify_record *vrec, uoff_t size)
{
	/* the ledger has the primary's size (normally LF line ends), the
	   standby reports its RFC822.SIZE (CRLF) */
	return size >= vrec->rec->size && size <= vrec->rec->size * 2 + 2;
}

static void verify_uid_callback(const struct standby_imap_message *msg,
				void *context)
{
	struct verify_folder *vf = context;
	struct verify_record *const *vrecp;
	struct standby_hash hash;
	const char *error;

	if (standby_hash_stream(msg->body, &hash, &error) < 0) {
		e_error(vf->cmd->event, "%s", error);
		return;
	}
	array_foreach(&vf->records, vrecp) {
		struct verify_record *vrec = *vrecp;

		if (vrec->rec->uid != msg->uid ||
		    vrec->rec->uidvalidity != vf->uidvalidity)
			continue;
		vrec->uid_present = TRUE;
		vrec->state = standby_hash_matches_hex(&hash,
			vrec->rec->sha256_hex) ? VERIFY_OK : VERIFY_ALTERED;
	}
}

static void verify_meta_callback(const struct standby_imap_message *msg,
				 void *context)
{
	struct verify_folder *vf = context;
	struct verify_record *const *vrecp;

	array_foreach(&vf->records, vrecp) {
		if ((*vrecp)->state != VERIFY_OK &&
		    verify_size_fits(*vrecp, msg->size)) {
			seq_range_array_add(&vf->candidates, msg->uid);
			return;
		}
	}
}

static void verify_find_callback(const struct standby_imap_message *msg,
				 void *context)
{
	struct verify_folder *vf = context;
	struct verify_record *const *vrecp;
	struct standby_hash hash;
	const char *error;

	if (standby_hash_stream(msg->body, &hash, &error) < 0) {
		e_error(vf->cmd->event, "%s", error);
		return;
	}
	array_foreach(&vf->records, vrecp) {
		if ((*vrecp)->state != VERIFY_OK &&
		    standby_hash_matches_hex(&hash, (*vrecp)->rec->sha256_hex))
			(*vrecp)->state = VERIFY_OK;
	}
}

/* Fetch uids in batches with callback */
static int verify_fetch(struct verify_folder *vf, struct standby_imap *imap,
			const ARRAY_TYPE(seq_range) *uids,
			enum standby_imap_fetch_flags flags,
			standby_imap_fetch_callback_t *callback,
			const char **error_r)
{
	ARRAY_TYPE(seq_range) batch;
	struct seq_range_iter iter;
	unsigned int n = 0;
	uint32_t uid;
	int ret = 0;

	t_array_init(&batch, 16);
	seq_range_array_iter_init(&iter, uids);
	while (ret == 0 && seq_range_array_iter_nth(&iter, n++, &uid)) {
		seq_range_array_add(&batch, uid);
		if (seq_range_count(&batch) >= VERIFY_BATCH_MAX_MESSAGES) {
			ret = standby_imap_fetch(imap, &batch, flags, callback,
						 vf, error_r);
			array_clear(&batch);
		}
	}
	if (ret == 0)
		ret = standby_imap_fetch(imap, &batch, flags, callback, vf,
					 error_r);
	return ret;
}

static int verify_folder(struct verify_folder *vf, struct standby_imap *imap,
			 const char **error_r)
{
	struct verify_record *const *vrecp;
	ARRAY_TYPE(seq_range) uids, all;
	uint32_t exists;
	bool need_find = FALSE;
	int ret;

	ret = standby_imap_examine(imap, vf->name, &vf->uidvalidity, &exists,
				   error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : 0;	/* gone: everything missing */
	if (exists == 0)
		return 0;

	t_array_init(&uids, 64);
	array_foreach(&vf->records, vrecp) {
		if ((*vrecp)->rec->uid != 0 &&
		    (*vrecp)->rec->uidvalidity == vf->uidvalidity)
			seq_range_array_add(&uids, (*vrecp)->rec->uid);
	}
	if (verify_fetch(vf, imap, &uids, STANDBY_IMAP_FETCH_FLAG_BODY,
			 verify_uid_callback, error_r) < 0)
		return -1;

	array_foreach(&vf->records, vrecp)
		need_find = need_find || (*vrecp)->state != VERIFY_OK;
	if (!need_find)
		return 0;

	/* look for the others by size + content */
	t_array_init(&all, 1);
	seq_range_array_add_range(&all, 1, (uint32_t)-1);
	t_array_init(&vf->candidates, 64);
	if (standby_imap_fetch(imap, &all, STANDBY_IMAP_FETCH_FLAG_META,
			       verify_meta_callback, vf, error_r) < 0)
		return -1;
	return verify_fetch(vf, imap, &vf->candidates,
			    STANDBY_IMAP_FETCH_FLAG_BODY,
			    verify_find_callback, error_r);
}

/* --repair: find the primary's messages by size + SHA-256 and queue them
   again. Returns the number queued. */
static unsigned int
verify_repair(struct doveadm_standby_cmd_context *ctx, struct mail_user *user,
	      struct verify_record *const *bad, unsigned int bad_count)
{
	static const char *const no_flags[] = { NULL };
	struct standby_requeue_item **items;
	struct standby_queue *queue;
	unsigned int i, queued = 0;
	const char *error;
	int ret;

	items = t_new(struct standby_requeue_item *, bad_count);
	for (i = 0; i < bad_count; i++) {
		const struct standby_ledger_record *rec = bad[i]->rec;

		items[i] = t_new(struct standby_requeue_item, 1);
		items[i]->size = rec->size;
		items[i]->sha256_hex = rec->sha256_hex;
		items[i]->entry.mailbox = rec->mailbox;
		items[i]->entry.flags = no_flags;
		if (standby_direction_parse(rec->direction,
					    &items[i]->entry.direction) < 0)
			items[i]->entry.direction = STANDBY_DIRECTION_INCOMING;
	}
	queue = standby_queue_init(ctx->set->state_dir, ctx->event);
	ret = standby_requeue_find(user, queue, items, bad_count, &error);
	standby_queue_deinit(&queue);
	for (i = 0; i < bad_count; i++) {
		if (items[i]->requeued) {
			bad[i]->requeued = TRUE;
			queued++;
		}
	}
	if (ret < 0) {
		e_error(ctx->event, "%s", error);
		doveadm_standby_cmd_failed(ctx, DOVEADM_STANDBY_ERROR_TEMP);
	}
	if (queued > 0 &&
	    standby_poke(user->set->base_dir, user->username, &error) < 0)
		e_debug(ctx->event, "%s", error);
	return queued;
}

static int
cmd_standby_verify_run(struct doveadm_standby_cmd_context *_ctx,
		       struct mail_user *user)
{
	struct standby_verify_cmd_context *ctx =
		container_of(_ctx, struct standby_verify_cmd_context, ctx);
	ARRAY_TYPE(standby_ledger_record) records;
	const struct standby_ledger_record *rec;
	ARRAY(struct verify_record *) bad;
	HASH_TABLE(const char *, struct verify_folder *) folders;
	struct hash_iterate_context *hiter;
	struct verify_folder *vf;
	struct verify_record *vrec;
	struct standby_imap *imap;
	const char *name, *error = NULL;
	unsigned int bad_lines, checked = 0, ok = 0, missing = 0;
	unsigned int altered = 0, requeued = 0;
	pool_t pool;
	int ret = 0;

	pool = pool_alloconly_create("standby verify", 1024*64);
	p_array_init(&records, pool, 256);
	if (standby_ledger_read(_ctx->set->state_dir, pool, &records,
				&bad_lines, &error) < 0) {
		e_error(_ctx->event, "%s", error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		pool_unref(&pool);
		return -1;
	}
	if (doveadm_standby_connect(_ctx, &imap) < 0) {
		pool_unref(&pool);
		return -1;
	}

	hash_table_create(&folders, pool, 0, str_hash, strcmp);
	array_foreach(&records, rec) {
		if (rec->sha256_hex[0] == '\0')
			continue;	/* nothing to compare with */
		vf = hash_table_lookup(folders, rec->mailbox);
		if (vf == NULL) {
			vf = p_new(pool, struct verify_folder, 1);
			vf->cmd = _ctx;
			vf->name = rec->mailbox;
			p_array_init(&vf->records, pool, 64);
			hash_table_insert(folders, vf->name, vf);
		}
		vrec = p_new(pool, struct verify_record, 1);
		vrec->rec = rec;
		array_push_back(&vf->records, &vrec);
		checked++;
	}

	p_array_init(&bad, pool, 16);
	hiter = hash_table_iterate_init(folders);
	while (hash_table_iterate(hiter, folders, &name, &vf)) {
		T_BEGIN {
			if (verify_folder(vf, imap, &error) < 0) {
				error = p_strdup(pool, error);
				ret = -1;
			}
		} T_END;
		if (ret < 0)
			break;
		array_foreach_elem(&vf->records, vrec) {
			if (vrec->state == VERIFY_OK) {
				ok++;
				continue;
			}
			array_push_back(&bad, &vrec);
			e_warning(_ctx->event, "%s on the standby: %s "
				  "UIDVALIDITY %u UID %u (%"PRIuUOFF_T
				  " bytes, entry %s)",
				  vrec->uid_present ? "Altered" : "Missing",
				  vrec->rec->mailbox, vrec->rec->uidvalidity,
				  vrec->rec->uid, vrec->rec->size,
				  vrec->rec->id);
			if (vrec->uid_present)
				altered++;
			else
				missing++;
		}
	}
	hash_table_iterate_deinit(&hiter);
	standby_imap_disconnect(&imap);

	if (ret < 0) {
		e_error(_ctx->event, "verify: %s", error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
	} else if (array_count(&bad) > 0 && ctx->repair) {
		requeued = verify_repair(_ctx, user, array_front(&bad),
					 array_count(&bad));
		if (requeued < array_count(&bad)) {
			e_error(_ctx->event, "%u of %u copies could not be "
				"re-queued: the primary no longer has them",
				array_count(&bad) - requeued,
				array_count(&bad));
			doveadm_standby_cmd_failed(_ctx,
				DOVEADM_STANDBY_ERROR_NOT_FOUND);
		}
	} else if (array_count(&bad) > 0) {
		doveadm_standby_cmd_failed(_ctx,
					   DOVEADM_STANDBY_ERROR_NOT_FOUND);
	}

	doveadm_print(user->username);
	doveadm_print_num(checked);
	doveadm_print_num(ok);
	doveadm_print_num(missing);
	doveadm_print_num(altered);
	doveadm_print_num(requeued);
	hash_table_destroy(&folders);
	pool_unref(&pool);
	return ret;
}

static void cmd_standby_verify_init(struct doveadm_standby_cmd_context *_ctx)
{
	struct standby_verify_cmd_context *ctx =
		container_of(_ctx, struct standby_verify_cmd_context, ctx);

	ctx->repair = doveadm_standby_cmd_param_flag(_ctx, "repair");
	doveadm_print_header_simple("user");
	doveadm_standby_cmd_print_numbers("checked", "ok", "missing", "altered",
					  "requeued", NULL);
}

static struct doveadm_mail_cmd_context *cmd_standby_verify_alloc(void)
{
	struct standby_verify_cmd_context *ctx;

	ctx = doveadm_standby_cmd_alloc(struct standby_verify_cmd_context);
	ctx->ctx.init = cmd_standby_verify_init;
	ctx->ctx.run = cmd_standby_verify_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx.ctx;
}

struct doveadm_cmd_ver2 doveadm_standby_cmd_verify = {
	.name = "standby verify",
	.mail_cmd = cmd_standby_verify_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "[--repair]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('r', "repair", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAMS_END
};

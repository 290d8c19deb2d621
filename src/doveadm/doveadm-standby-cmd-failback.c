/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* doveadm standby failback [-u user|-A] [--since DATE]: after an outage of
   the primary (runbook C), copy into the primary what arrived at or was
   sent from the standby meanwhile, marked $StandbyFailback.

   A message came from the mirror when the ledger has its folder +
   UIDVALIDITY + UID, or the SHA-256 of its bytes: never decided by
   headers, which the standby's provider may add or change. Progress is
   kept per folder in <state_dir>/failback (UIDVALIDITY + last UID done,
   written after every committed batch), so a rerun or a run resumed after
   an interruption only looks at what is new; what an interrupted batch
   already saved is found again by content and not copied twice. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "hex-binary.h"
#include "str.h"
#include "doveadm-print.h"
#include "standby-settings.h"
#include "standby-ledger.h"
#include "standby-imap.h"
#include "standby-imap-fetch.h"
#include "standby-failback-state.h"
#include "doveadm-standby-cmd.h"
#include "doveadm-standby-copy.h"

#define STANDBY_FAILBACK_KEYWORD "$StandbyFailback"

struct standby_failback_cmd_context {
	struct doveadm_standby_cmd_context ctx;
	struct doveadm_standby_copy_settings copy_set;

	/* per user */
	pool_t pool;
	/* "folder\tuidvalidity\tuid" of mirrored copies */
	HASH_TABLE(const char *, void *) ledger_uids;
	/* lowercase hex SHA-256 of mirrored copies */
	HASH_TABLE(const char *, void *) ledger_hashes;
	struct standby_failback_state *state;
};

static bool
cmd_standby_failback_skip(const char *folder, uint32_t uidvalidity,
			  const struct standby_imap_message *msg,
			  const struct standby_hash *hash, void *context)
{
	struct standby_failback_cmd_context *ctx = context;
	const char *key;

	if (hash == NULL) {
		key = t_strdup_printf("%s\t%u\t%u", folder, uidvalidity,
				      msg->uid);
		return hash_table_lookup(ctx->ledger_uids, key) != NULL;
	}
	return hash_table_lookup(ctx->ledger_hashes,
		binary_to_hex(hash->raw, sizeof(hash->raw))) != NULL ||
		hash_table_lookup(ctx->ledger_hashes,
		binary_to_hex(hash->lf, sizeof(hash->lf))) != NULL ||
		hash_table_lookup(ctx->ledger_hashes,
		binary_to_hex(hash->crlf, sizeof(hash->crlf))) != NULL;
}

static uint32_t
cmd_standby_failback_resume(const char *folder, uint32_t uidvalidity,
			    void *context)
{
	struct standby_failback_cmd_context *ctx = context;

	return standby_failback_state_get(ctx->state, folder, uidvalidity);
}

static int
cmd_standby_failback_batch_done(const char *folder, uint32_t uidvalidity,
				uint32_t last_uid, void *context,
				const char **error_r)
{
	struct standby_failback_cmd_context *ctx = context;

	return standby_failback_state_set(ctx->state, folder, uidvalidity,
					  last_uid, error_r);
}

static int
cmd_standby_failback_load(struct standby_failback_cmd_context *ctx)
{
	struct doveadm_standby_cmd_context *_ctx = &ctx->ctx;
	ARRAY_TYPE(standby_ledger_record) records;
	const struct standby_ledger_record *rec;
	unsigned int bad_lines;
	const char *key, *error;

	p_array_init(&records, ctx->pool, 256);
	if (standby_ledger_read(_ctx->set->state_dir, ctx->pool, &records,
				&bad_lines, &error) < 0 ||
	    standby_failback_state_read(_ctx->set->state_dir, &ctx->state,
					&error) < 0) {
		e_error(_ctx->event, "%s", error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		return -1;
	}
	if (bad_lines > 0) {
		e_warning(_ctx->event, "Ledger: %u malformed lines ignored",
			  bad_lines);
	}
	array_foreach(&records, rec) {
		if (rec->uid != 0) {
			key = p_strdup_printf(ctx->pool, "%s\t%u\t%u",
					      rec->mailbox, rec->uidvalidity,
					      rec->uid);
			hash_table_update(ctx->ledger_uids, key,
					  POINTER_CAST(1));
		}
		if (rec->sha256_hex[0] != '\0') {
			key = p_strdup(ctx->pool, t_str_lcase(rec->sha256_hex));
			hash_table_update(ctx->ledger_hashes, key,
					  POINTER_CAST(1));
		}
	}
	return 0;
}

static int
cmd_standby_failback_user(struct standby_failback_cmd_context *ctx,
			  struct mail_user *user)
{
	struct doveadm_standby_cmd_context *_ctx = &ctx->ctx;
	ARRAY_TYPE(standby_imap_folder) folders;
	const struct standby_imap_folder *folder;
	struct doveadm_standby_copy_result result;
	enum doveadm_standby_copy_ret ret;
	struct standby_imap *imap;
	const char *target, *error;
	uint32_t uidvalidity;
	int status = 0;

	if (cmd_standby_failback_load(ctx) < 0)
		return -1;
	if (doveadm_standby_connect(_ctx, &imap) < 0)
		return -1;
	p_array_init(&folders, ctx->pool, 16);
	if (standby_imap_list_folders(imap, ctx->pool,
				      &folders, &error) < 0) {
		e_error(_ctx->event, "%s", error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		standby_imap_disconnect(&imap);
		return -1;
	}
	array_foreach(&folders, folder) {
		target = doveadm_standby_copy_target(user, folder);
		ret = doveadm_standby_copy_folder(_ctx, user, imap,
			&ctx->copy_set, folder->name, target, 0,
			&result, &uidvalidity, &error);
		doveadm_print(user->username);
		doveadm_print(folder->name);
		doveadm_print(target);
		doveadm_print_num(result.found);
		doveadm_print_num(result.copied);
		doveadm_print_num(result.present);
		doveadm_print_num(result.skipped);
		doveadm_print_num(result.failed);
		if (ret == DOVEADM_STANDBY_COPY_OK)
			continue;
		status = -1;
		if (ret == DOVEADM_STANDBY_COPY_NOTFOUND) {
			/* deleted on the standby since LIST: nothing to do */
			continue;
		}
		e_error(_ctx->event, "failback %s: %s", folder->name, error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		if (standby_imap_is_disconnected(imap))
			break;
	}
	standby_imap_disconnect(&imap);
	return status;
}

static int
cmd_standby_failback_run(struct doveadm_standby_cmd_context *_ctx,
			 struct mail_user *user)
{
	struct standby_failback_cmd_context *ctx =
		container_of(_ctx, struct standby_failback_cmd_context, ctx);
	int ret;

	ctx->pool = pool_alloconly_create("standby failback", 1024*64);
	hash_table_create(&ctx->ledger_uids, ctx->pool, 0, str_hash, strcmp);
	hash_table_create(&ctx->ledger_hashes, ctx->pool, 0,
			  str_hash, strcmp);
	ret = cmd_standby_failback_user(ctx, user);
	standby_failback_state_free(&ctx->state);
	hash_table_destroy(&ctx->ledger_uids);
	hash_table_destroy(&ctx->ledger_hashes);
	pool_unref(&ctx->pool);
	return ret;
}

static void
cmd_standby_failback_init(struct doveadm_standby_cmd_context *_ctx)
{
	struct standby_failback_cmd_context *ctx =
		container_of(_ctx, struct standby_failback_cmd_context, ctx);

	ctx->copy_set.since = doveadm_standby_cmd_param_date(_ctx, "since");
	doveadm_print_header_simple("user");
	doveadm_print_header_simple("folder");
	doveadm_print_header_simple("mailbox");
	doveadm_standby_cmd_print_numbers("found", "copied", "present",
					  "mirrored", "failed", NULL);
}

static struct doveadm_mail_cmd_context *cmd_standby_failback_alloc(void)
{
	struct standby_failback_cmd_context *ctx;

	ctx = doveadm_standby_cmd_alloc(struct standby_failback_cmd_context);
	ctx->ctx.init = cmd_standby_failback_init;
	ctx->ctx.run = cmd_standby_failback_run;
	ctx->copy_set.keyword = STANDBY_FAILBACK_KEYWORD;
	ctx->copy_set.skip = cmd_standby_failback_skip;
	ctx->copy_set.resume_uid = cmd_standby_failback_resume;
	ctx->copy_set.batch_done = cmd_standby_failback_batch_done;
	ctx->copy_set.context = ctx;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx.ctx;
}

struct doveadm_cmd_ver2 doveadm_standby_cmd_failback = {
	.name = "standby failback",
	.mail_cmd = cmd_standby_failback_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "[--since <date>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* doveadm standby restore [-u user|-A] [-m standby-folder] [--since DATE]
   [--before DATE] [--dry-run] [--to-mailbox NAME]: copy what the primary
   lacks from the standby into the primary (runbooks A and B). */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "doveadm-print.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-fetch.h"
#include "doveadm-standby-cmd.h"
#include "doveadm-standby-copy.h"

struct standby_restore_cmd_context {
	struct doveadm_standby_cmd_context ctx;
	const char *folder;
	const char *to_mailbox;
	struct doveadm_standby_copy_settings copy_set;
};

static void
cmd_standby_restore_print(struct standby_restore_cmd_context *ctx,
			  struct mail_user *user, const char *folder,
			  const char *mailbox,
			  const struct doveadm_standby_copy_result *result)
{
	if (ctx->copy_set.dry_run)
		return;
	doveadm_print(user->username);
	doveadm_print(folder);
	doveadm_print(mailbox);
	doveadm_print_num(result->found);
	doveadm_print_num(result->copied);
	doveadm_print_num(result->present);
	doveadm_print_num(result->failed);
}

/* Which standby folders: all of them, or the -m one. */
static int
cmd_standby_restore_folders(struct standby_restore_cmd_context *ctx,
			    struct standby_imap *imap, pool_t pool,
			    ARRAY_TYPE(standby_imap_folder) *folders)
{
	struct doveadm_standby_cmd_context *_ctx = &ctx->ctx;
	const struct standby_imap_folder *folder;
	const char *error;

	if (standby_imap_list_folders(imap, pool,
				      folders, &error) < 0) {
		e_error(_ctx->event, "%s", error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		return -1;
	}
	if (ctx->folder == NULL)
		return 0;
	array_foreach(folders, folder) {
		if (strcmp(folder->name, ctx->folder) == 0 ||
		    (strcasecmp(ctx->folder, "INBOX") == 0 &&
		     strcasecmp(folder->name, "INBOX") == 0)) {
			struct standby_imap_folder one = *folder;

			array_clear(folders);
			array_push_back(folders, &one);
			return 0;
		}
	}
	e_error(_ctx->event, "Standby folder %s not found", ctx->folder);
	doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_NOT_FOUND);
	return -1;
}

static int
cmd_standby_restore_run(struct doveadm_standby_cmd_context *_ctx,
			struct mail_user *user)
{
	struct standby_restore_cmd_context *ctx =
		container_of(_ctx, struct standby_restore_cmd_context, ctx);
	ARRAY_TYPE(standby_imap_folder) folders;
	const struct standby_imap_folder *folder;
	struct doveadm_standby_copy_result result, total;
	enum doveadm_standby_copy_ret ret;
	struct standby_imap *imap;
	const char *target, *error;
	uint32_t uidvalidity;
	pool_t pool;
	int status = 0;

	if (doveadm_standby_connect(_ctx, &imap) < 0)
		return -1;
	i_zero(&total);
	pool = pool_alloconly_create("standby restore folders", 4096);
	p_array_init(&folders, pool, 16);
	if (cmd_standby_restore_folders(ctx, imap, pool, &folders) < 0) {
		standby_imap_disconnect(&imap);
		pool_unref(&pool);
		return -1;
	}
	array_foreach(&folders, folder) {
		target = ctx->to_mailbox != NULL ? ctx->to_mailbox :
			doveadm_standby_copy_target(user, folder);
		ret = doveadm_standby_copy_folder(_ctx, user, imap,
			&ctx->copy_set, folder->name, target, 0,
			&result, &uidvalidity, &error);
		cmd_standby_restore_print(ctx, user, folder->name, target,
					  &result);
		total.found += result.found;
		total.copied += result.copied;
		total.present += result.present;
		total.failed += result.failed;
		if (ret == DOVEADM_STANDBY_COPY_OK)
			continue;
		e_error(_ctx->event, "restore %s: %s", folder->name, error);
		status = -1;
		if (ret == DOVEADM_STANDBY_COPY_NOTFOUND) {
			/* deleted on the standby since LIST */
			doveadm_standby_cmd_failed(_ctx,
				DOVEADM_STANDBY_ERROR_NOT_FOUND);
			continue;
		}
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		if (standby_imap_is_disconnected(imap))
			break;
	}
	standby_imap_disconnect(&imap);
	pool_unref(&pool);

	e_debug(event_create_passthrough(_ctx->event)->
		set_name("standby_restore_finished")->
		add_int("found", total.found)->
		add_int("copied", total.copied)->
		add_int("present", total.present)->
		add_int("failed", total.failed)->
		add_str("dry_run", ctx->copy_set.dry_run ? "yes" : "no")->
		event(), "restore: %u copied, %u already present, %u failed",
		total.copied, total.present, total.failed);
	return status;
}

static void
cmd_standby_restore_init(struct doveadm_standby_cmd_context *_ctx)
{
	struct standby_restore_cmd_context *ctx =
		container_of(_ctx, struct standby_restore_cmd_context, ctx);

	ctx->folder = doveadm_standby_cmd_param_str(_ctx, "mailbox");
	ctx->copy_set.since = doveadm_standby_cmd_param_date(_ctx, "since");
	ctx->copy_set.before = doveadm_standby_cmd_param_date(_ctx, "before");
	ctx->copy_set.dry_run = doveadm_standby_cmd_param_flag(_ctx, "dry-run");
	ctx->to_mailbox = doveadm_standby_cmd_param_str(_ctx, "to-mailbox");

	if (ctx->folder != NULL && *ctx->folder == '\0')
		doveadm_standby_cmd_usage_error("-m: empty folder name");
	if (ctx->to_mailbox != NULL && *ctx->to_mailbox == '\0')
		doveadm_standby_cmd_usage_error(
			"--to-mailbox: empty mailbox name");
	if (ctx->copy_set.since != 0 && ctx->copy_set.before != 0 &&
	    ctx->copy_set.since >= ctx->copy_set.before)
		doveadm_standby_cmd_usage_error(
			"--since must be before --before");

	doveadm_print_header_simple("user");
	doveadm_print_header_simple("folder");
	if (ctx->copy_set.dry_run) {
		doveadm_standby_cmd_print_numbers("uid", "size", NULL);
		doveadm_print_header_simple("date");
		doveadm_print_header_simple("mailbox");
		return;
	}
	doveadm_print_header_simple("mailbox");
	doveadm_standby_cmd_print_numbers("found", "copied", "present",
					  "failed", NULL);
}

static struct doveadm_mail_cmd_context *cmd_standby_restore_alloc(void)
{
	struct standby_restore_cmd_context *ctx;

	ctx = doveadm_standby_cmd_alloc(struct standby_restore_cmd_context);
	ctx->ctx.init = cmd_standby_restore_init;
	ctx->ctx.run = cmd_standby_restore_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx.ctx;
}

struct doveadm_cmd_ver2 doveadm_standby_cmd_restore = {
	.name = "standby restore",
	.mail_cmd = cmd_standby_restore_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
		"[-m <standby folder>] [--since <date>] [--before <date>] "
		"[--dry-run] [--to-mailbox <name>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('m', "mailbox", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('b', "before", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('n', "dry-run", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('t', "to-mailbox", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};

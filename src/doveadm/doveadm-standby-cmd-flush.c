/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* doveadm standby flush [-u user|-A] [--dead-letters]: drain the queue now,
   in the foreground. Exits with EX_TEMPFAIL when anything stays queued. */

#include "lib.h"
#include "array.h"
#include "doveadm-print.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-drain.h"
#include "doveadm-standby-cmd.h"

struct standby_flush_cmd_context {
	struct doveadm_standby_cmd_context ctx;
	bool dead_letters;
};

/* Move every dead letter back into the queue. */
static int cmd_standby_flush_revive(struct doveadm_standby_cmd_context *ctx,
				    unsigned int *count_r)
{
	ARRAY_TYPE(standby_queue_item) dead;
	const struct standby_queue_item *item;
	struct standby_queue *queue;
	const char *error;
	int ret = 0;

	*count_r = 0;
	t_array_init(&dead, 16);
	queue = standby_queue_init(ctx->set->state_dir, ctx->event);
	if (standby_queue_list(queue, STANDBY_QUEUE_DIR_DEAD,
			       pool_datastack_create(), &dead, &error) < 0) {
		e_error(ctx->event, "%s", error);
		ret = -1;
	}
	array_foreach(&dead, item) {
		if (standby_queue_revive_id(queue, item->id, &error) < 0) {
			e_error(ctx->event, "%s", error);
			ret = -1;
		} else {
			(*count_r)++;
		}
	}
	standby_queue_deinit(&queue);
	return ret;
}

static int
cmd_standby_flush_run(struct doveadm_standby_cmd_context *_ctx,
		      struct mail_user *user)
{
	struct standby_flush_cmd_context *ctx =
		container_of(_ctx, struct standby_flush_cmd_context, ctx);
	struct standby_drain_result result;
	unsigned int revived = 0;
	const char *error;

	if (ctx->dead_letters &&
	    cmd_standby_flush_revive(_ctx, &revived) < 0)
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);

	if (standby_drain_run(_ctx->set, user->username, _ctx->event,
			      STANDBY_DRAIN_FLAG_FORCE | STANDBY_DRAIN_FLAG_WAIT,
			      &result, &error) < 0) {
		e_error(_ctx->event, "%s", error);
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
		return -1;
	}
	doveadm_print(user->username);
	doveadm_print_num(result.sent);
	doveadm_print_num(result.deferred);
	doveadm_print_num(result.killed);
	doveadm_print_num(revived);
	doveadm_print_num(result.remaining);
	doveadm_print(result.error == NULL ? "" : result.error);
	if (result.remaining > 0) {
		if (result.error != NULL) {
			e_error(_ctx->event, "%u entries stay queued: %s",
				result.remaining, result.error);
		}
		doveadm_standby_cmd_failed(_ctx, DOVEADM_STANDBY_ERROR_TEMP);
	}
	return 0;
}

static void cmd_standby_flush_init(struct doveadm_standby_cmd_context *_ctx)
{
	struct standby_flush_cmd_context *ctx =
		container_of(_ctx, struct standby_flush_cmd_context, ctx);

	ctx->dead_letters =
		doveadm_standby_cmd_param_flag(_ctx, "dead-letters");
	doveadm_print_header_simple("user");
	doveadm_standby_cmd_print_numbers("sent", "deferred", "dead", "revived",
					  "remaining", NULL);
	doveadm_print_header_simple("error");
}

static struct doveadm_mail_cmd_context *cmd_standby_flush_alloc(void)
{
	struct standby_flush_cmd_context *ctx;

	ctx = doveadm_standby_cmd_alloc(struct standby_flush_cmd_context);
	ctx->ctx.init = cmd_standby_flush_init;
	ctx->ctx.run = cmd_standby_flush_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx.ctx;
}

struct doveadm_cmd_ver2 doveadm_standby_cmd_flush = {
	.name = "standby flush",
	.mail_cmd = cmd_standby_flush_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "[--dead-letters]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('D', "dead-letters", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAMS_END
};

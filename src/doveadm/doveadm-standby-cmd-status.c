/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* doveadm standby status [-u user|-A]: one row per user. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "time-util.h"
#include "doveadm-print.h"
#include "standby-settings.h"
#include "standby-entry.h"
#include "standby-queue.h"
#include "standby-ledger.h"
#include "standby-status.h"
#include "standby-missed.h"
#include "doveadm-standby-cmd.h"

static const char *status_time(const char *unix_time)
{
	time_t t;

	if (unix_time == NULL || str_to_time(unix_time, &t) < 0)
		return "";
	return t_strflocaltime("%Y-%m-%d %H:%M:%S", t);
}

static int
cmd_standby_status_run(struct doveadm_standby_cmd_context *ctx,
		       struct mail_user *user)
{
	const struct standby_settings *set = ctx->set;
	ARRAY_TYPE(standby_queue_item) queued, dead;
	ARRAY_TYPE(const_string) status;
	ARRAY_TYPE(standby_missed_record) missed;
	struct standby_queue *queue;
	const struct standby_queue_item *oldest;
	const char *error, *last_error;
	uintmax_t mirrored = 0;
	unsigned int missed_bad = 0;
	size_t missed_used;
	time_t queued_time;
	int ret = 0;

	doveadm_print(user->username);
	if (set == NULL) {
		/* not configured, or invalid settings (then shown as the
		   last error) */
		doveadm_print(ctx->settings_error == NULL ? "no" : "invalid");
		/* number columns get 0: -f json accepts only numbers there */
		doveadm_print("");			/* host */
		doveadm_print("");			/* standby_user */
		doveadm_print_num(0);			/* queued */
		doveadm_print_num(0);			/* oldest_secs */
		doveadm_print_num(0);			/* dead */
		doveadm_print("");			/* last_success */
		doveadm_print("");			/* last_error_time */
		doveadm_print(ctx->settings_error == NULL ? "" :
			      ctx->settings_error);
		doveadm_print_num(0);			/* mirrored */
		doveadm_print_num(0);		/* queue_write_failures */
		doveadm_print_num(0);			/* missed */
		return 0;
	}

	t_array_init(&queued, 64);
	t_array_init(&dead, 8);
	t_array_init(&status, 16);
	t_array_init(&missed, 4);
	queue = standby_queue_init(set->state_dir, ctx->event);
	if (standby_queue_list(queue, STANDBY_QUEUE_DIR_QUEUE,
			       pool_datastack_create(), &queued, &error) < 0 ||
	    standby_queue_list(queue, STANDBY_QUEUE_DIR_DEAD,
			       pool_datastack_create(), &dead, &error) < 0 ||
	    standby_status_read(set->state_dir, pool_datastack_create(),
				&status, &error) < 0 ||
	    /* messages the standby accepted: the ledger's lines */
	    standby_ledger_count(set->state_dir, &mirrored, &error) < 0 ||
	    standby_missed_read(set->state_dir, pool_datastack_create(),
				&missed, &missed_used, &missed_bad,
				&error) < 0) {
		e_error(ctx->event, "%s", error);
		doveadm_standby_cmd_failed(ctx, DOVEADM_STANDBY_ERROR_TEMP);
		ret = -1;
	}
	standby_queue_deinit(&queue);

	doveadm_print("yes");
	doveadm_print(t_strdup_printf("%s:%u", set->host, set->port));
	doveadm_print(set->user);
	doveadm_print_num(array_count(&queued));
	oldest = array_count(&queued) == 0 ? NULL : array_front(&queued);
	if (oldest != NULL &&
	    standby_entry_id_get_time(oldest->id, &queued_time) == 0)
		doveadm_print_num(I_MAX(ioloop_time - queued_time, 0));
	else
		doveadm_print_num(0);
	doveadm_print_num(array_count(&dead));
	doveadm_print(status_time(
		standby_status_get(&status, "last_success")));
	doveadm_print(status_time(
		standby_status_get(&status, "last_error_time")));
	last_error = standby_status_get(&status, "last_error");
	doveadm_print(t_str_oneline(last_error == NULL ? "" : last_error));
	doveadm_print_num(mirrored);
	const char *failures =
		standby_status_get(&status, "queue_write_failures");
	doveadm_print(failures == NULL ? "0" : failures);
	/* noted while the queue could not be written, waiting for the
	   worker to queue them again */
	doveadm_print_num(array_count(&missed) + missed_bad);
	return ret;
}

static void
cmd_standby_status_init(struct doveadm_standby_cmd_context *ctx ATTR_UNUSED)
{
	doveadm_print_header_simple("user");
	doveadm_print_header_simple("enabled");
	doveadm_print_header_simple("host");
	doveadm_print_header_simple("standby_user");
	doveadm_standby_cmd_print_numbers("queued", "oldest_secs", "dead",
					  NULL);
	doveadm_print_header_simple("last_success");
	doveadm_print_header_simple("last_error_time");
	doveadm_print_header_simple("last_error");
	doveadm_standby_cmd_print_numbers("mirrored", "queue_write_failures",
					  "missed", NULL);
}

static struct doveadm_mail_cmd_context *cmd_standby_status_alloc(void)
{
	struct doveadm_standby_cmd_context *ctx;

	ctx = doveadm_standby_cmd_alloc(struct doveadm_standby_cmd_context);
	ctx->init = cmd_standby_status_init;
	ctx->run = cmd_standby_status_run;
	ctx->run_unconfigured = TRUE;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_standby_cmd_status = {
	.name = "standby status",
	.mail_cmd = cmd_standby_status_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX,
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAMS_END
};

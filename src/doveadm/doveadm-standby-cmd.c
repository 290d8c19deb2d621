/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "doveadm-mail.h"
#include "standby-common.h"
#include "standby-settings.h"
#include "doveadm-standby-cmd.h"

#include <stdio.h>

void doveadm_standby_cmd_failed(struct doveadm_standby_cmd_context *ctx,
				int exit_code)
{
	i_assert(exit_code != 0);
	if (ctx->ctx.exit_code == 0 || exit_code == EX_TEMPFAIL)
		ctx->ctx.exit_code = exit_code;
}

void doveadm_standby_progress(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	T_BEGIN {
		fprintf(stderr, "%s\n", t_strdup_vprintf(fmt, args));
	} T_END;
	va_end(args);
}

static int
doveadm_standby_cmd_run(struct doveadm_mail_cmd_context *_ctx,
			struct mail_user *user)
{
	struct doveadm_standby_cmd_context *ctx =
		container_of(_ctx, struct doveadm_standby_cmd_context, ctx);
	const char *error;
	int ret;

	ctx->event = event_create(user->event);
	event_add_category(ctx->event, &event_category_standby);
	event_set_append_log_prefix(ctx->event, "standby: ");

	ret = standby_settings_get_user(user, user->pool, &ctx->set, &error);
	if (ret < 0) {
		e_error(ctx->event, "Invalid settings: %s", error);
		doveadm_standby_cmd_failed(ctx, EX_CONFIG);
		if (ctx->run_unconfigured) {
			ctx->settings_error = error;
			(void)ctx->run(ctx, user);
		}
	} else if (ret == 0 && !ctx->run_unconfigured) {
		e_error(ctx->event, "No standby configured for user %s "
			"(standby_host is not set)", user->username);
		doveadm_standby_cmd_failed(ctx, DOVEADM_EX_NOTPOSSIBLE);
		ret = -1;
	} else {
		ret = ctx->run(ctx, user);
	}
	event_unref(&ctx->event);
	ctx->set = NULL;
	ctx->settings_error = NULL;
	return ret < 0 ? -1 : 0;
}

struct doveadm_standby_cmd_context *
doveadm_standby_cmd_alloc_size(size_t size)
{
	struct doveadm_standby_cmd_context *ctx;

	ctx = (struct doveadm_standby_cmd_context *)
		doveadm_mail_cmd_alloc_size(size);
	ctx->ctx.v.run = doveadm_standby_cmd_run;
	return ctx;
}

static struct doveadm_cmd_ver2 *doveadm_standby_commands[] = {
	&doveadm_standby_cmd_status,
	&doveadm_standby_cmd_flush,
};

void doveadm_standby_cmds_init(void)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(doveadm_standby_commands); i++)
		doveadm_cmd_register_ver2(doveadm_standby_commands[i]);
}

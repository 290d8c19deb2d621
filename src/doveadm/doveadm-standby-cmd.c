/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* strptime() */
#define _GNU_SOURCE
#include "lib.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "standby-common.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "doveadm-standby-cmd.h"

#include <stdio.h>
#include <time.h>

void doveadm_standby_cmd_failed(struct doveadm_standby_cmd_context *ctx,
				enum doveadm_standby_error error)
{
	int exit_code;

	switch (error) {
	case DOVEADM_STANDBY_ERROR_TEMP:
		exit_code = EX_TEMPFAIL;
		break;
	case DOVEADM_STANDBY_ERROR_CONFIG:
		exit_code = EX_CONFIG;
		break;
	case DOVEADM_STANDBY_ERROR_NOT_CONFIGURED:
		exit_code = DOVEADM_EX_NOTPOSSIBLE;
		break;
	case DOVEADM_STANDBY_ERROR_NOT_FOUND:
		exit_code = DOVEADM_EX_NOTFOUND;
		break;
	default:
		i_unreached();
	}
	if (ctx->ctx.exit_code == 0 || exit_code == EX_TEMPFAIL)
		ctx->ctx.exit_code = exit_code;
}

void doveadm_standby_cmd_usage_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	i_fatal_status(EX_USAGE, "%s", t_strdup_vprintf(fmt, args));
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

static time_t
doveadm_standby_parse_date(const char *option, const char *value)
{
	static const char *const formats[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
		"%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d", NULL
	};
	struct tm tm;
	const char *end;
	time_t t;
	unsigned int i;

	if (str_to_time(value, &t) == 0 && t > 0)
		return t;
	for (i = 0; formats[i] != NULL; i++) {
		i_zero(&tm);
		end = strptime(value, formats[i], &tm);
		if (end != NULL && *end == '\0') {
			tm.tm_isdst = -1;
			t = mktime(&tm);
			if (t != (time_t)-1)
				return t;
		}
	}
	doveadm_standby_cmd_usage_error("Invalid --%s date '%s' "
		"(use YYYY-MM-DD, 'YYYY-MM-DD HH:MM:SS' or a UNIX time)",
		option, value);
}

int doveadm_standby_connect(struct doveadm_standby_cmd_context *ctx,
			    struct standby_imap **imap_r)
{
	const char *error;

	if (standby_imap_connect(ctx->set, ctx->event, imap_r, &error) < 0) {
		e_error(ctx->event, "Standby %s:%u not available: %s",
			ctx->set->host, ctx->set->port, error);
		doveadm_standby_cmd_failed(ctx, DOVEADM_STANDBY_ERROR_TEMP);
		return -1;
	}
	return 0;
}

static int
doveadm_standby_cmd_run(struct doveadm_mail_cmd_context *_ctx,
			struct mail_user *user)
{
	struct doveadm_standby_cmd_context *ctx =
		container_of(_ctx, struct doveadm_standby_cmd_context, ctx);
	const char *error;
	int ret;

	standby_imap_set_quiet(TRUE);
	ctx->event = event_create(user->event);
	event_add_category(ctx->event, &event_category_standby);
	event_set_append_log_prefix(ctx->event, "standby: ");

	ret = standby_settings_get_user(user, user->pool, &ctx->set, &error);
	if (ret < 0) {
		e_error(ctx->event, "Invalid settings: %s", error);
		doveadm_standby_cmd_failed(ctx, DOVEADM_STANDBY_ERROR_CONFIG);
		if (ctx->run_unconfigured) {
			ctx->settings_error = error;
			(void)ctx->run(ctx, user);
		}
	} else if (ret == 0 && !ctx->run_unconfigured) {
		e_error(ctx->event, "No standby configured for user %s "
			"(standby_host is not set)", user->username);
		doveadm_standby_cmd_failed(ctx,
			DOVEADM_STANDBY_ERROR_NOT_CONFIGURED);
		ret = -1;
	} else {
		ret = ctx->run(ctx, user);
	}
	event_unref(&ctx->event);
	ctx->set = NULL;
	ctx->settings_error = NULL;
	return ret < 0 ? -1 : 0;
}

bool doveadm_standby_cmd_param_flag(struct doveadm_standby_cmd_context *ctx,
				    const char *name)
{
	bool value;

	/* no cctx: a command of Dovecot 2.3's doveadm batch, which takes
	   no options (doveadm-standby-cmd-glue-dc23.c) */
	return ctx->ctx.cctx != NULL &&
		doveadm_cmd_param_bool(ctx->ctx.cctx, name, &value) && value;
}

const char *
doveadm_standby_cmd_param_str(struct doveadm_standby_cmd_context *ctx,
			      const char *name)
{
	const char *value;

	if (ctx->ctx.cctx == NULL ||
	    !doveadm_cmd_param_str(ctx->ctx.cctx, name, &value))
		return NULL;
	return p_strdup(ctx->ctx.pool, value);
}

time_t doveadm_standby_cmd_param_date(struct doveadm_standby_cmd_context *ctx,
				      const char *name)
{
	const char *value = doveadm_standby_cmd_param_str(ctx, name);

	return value == NULL ? 0 : doveadm_standby_parse_date(name, value);
}

void doveadm_standby_cmd_init(struct doveadm_mail_cmd_context *mctx)
{
	struct doveadm_standby_cmd_context *ctx =
		container_of(mctx, struct doveadm_standby_cmd_context, ctx);

	ctx->init(ctx);
}

void doveadm_standby_cmd_print_numbers(const char *name, ...)
{
	va_list args;

	va_start(args, name);
	for (; name != NULL; name = va_arg(args, const char *)) {
		doveadm_print_header(name, name,
				     DOVEADM_PRINT_HEADER_FLAG_NUMBER);
	}
	va_end(args);
}

struct doveadm_standby_cmd_context *
doveadm_standby_cmd_alloc_size(size_t size)
{
	struct doveadm_standby_cmd_context *ctx;

	ctx = (struct doveadm_standby_cmd_context *)
		doveadm_mail_cmd_alloc_size(size);
	ctx->ctx.v.run = doveadm_standby_cmd_run;
	doveadm_standby_cmd_glue_set(&ctx->ctx);
	return ctx;
}

static struct doveadm_cmd_ver2 *doveadm_standby_commands[] = {
	&doveadm_standby_cmd_status,
	&doveadm_standby_cmd_flush,
	&doveadm_standby_cmd_restore,
	&doveadm_standby_cmd_failback,
	&doveadm_standby_cmd_verify,
};

void doveadm_standby_cmds_init(void)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(doveadm_standby_commands); i++)
		doveadm_cmd_register_ver2(doveadm_standby_commands[i]);
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef DOVEADM_STANDBY_CMD_H
#define DOVEADM_STANDBY_CMD_H

#include "doveadm-mail.h"

struct standby_settings;

struct doveadm_standby_cmd_context {
	struct doveadm_mail_cmd_context ctx;

	/* the current user's settings (NULL when not configured) */
	const struct standby_settings *set;
	struct event *event;
	/* once before the users: read the options
	   (doveadm_standby_cmd_param_*()) and print the header */
	void (*init)(struct doveadm_standby_cmd_context *ctx);
	/* run for a user whose standby is configured; unset users are
	   reported by the common code (status handles them itself) */
	int (*run)(struct doveadm_standby_cmd_context *ctx,
		   struct mail_user *user);
	/* status wants to see users without a standby (or with invalid
	   settings: settings_error) too */
	bool run_unconfigured;
	const char *settings_error;
};

#define doveadm_standby_cmd_alloc(type) \
	(type *)doveadm_standby_cmd_alloc_size(sizeof(type))
struct doveadm_standby_cmd_context *
doveadm_standby_cmd_alloc_size(size_t size);

/* A number column for each name, in order, up to NULL (in init). */
void doveadm_standby_cmd_print_numbers(const char *name, ...) ATTR_SENTINEL;

/* What went wrong for a user; each kind has one exit code (the mapping is
   doveadm_standby_cmd_failed(), as doveadm-sieve's for sieve_error). */
enum doveadm_standby_error {
	/* the standby, or the user's state on disk, is not available now:
	   trying again later may work (EX_TEMPFAIL) */
	DOVEADM_STANDBY_ERROR_TEMP = 1,
	/* the user's standby_* settings are invalid (EX_CONFIG) */
	DOVEADM_STANDBY_ERROR_CONFIG,
	/* the user has no standby (DOVEADM_EX_NOTPOSSIBLE) */
	DOVEADM_STANDBY_ERROR_NOT_CONFIGURED,
	/* a folder or message asked for is not there (DOVEADM_EX_NOTFOUND) */
	DOVEADM_STANDBY_ERROR_NOT_FOUND,
};

/* Record a failure: EX_TEMPFAIL wins over everything, otherwise the
   first failure is kept (as doveadm's own commands do). */
void doveadm_standby_cmd_failed(struct doveadm_standby_cmd_context *ctx,
				enum doveadm_standby_error error);
/* The command line is wrong: one line on stderr, exit with EX_USAGE. */
void ATTR_NORETURN ATTR_FORMAT(1, 2)
doveadm_standby_cmd_usage_error(const char *fmt, ...);

/* The command's options, by their long names (the same way on every
   Dovecot major): whether a flag is given, and a string option's value
   (allocated from the command's pool) or NULL when it is not given. */
bool doveadm_standby_cmd_param_flag(struct doveadm_standby_cmd_context *ctx,
				    const char *name);
const char *
doveadm_standby_cmd_param_str(struct doveadm_standby_cmd_context *ctx,
			      const char *name);
/* A date option (--since, --before): YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS]
   (also with a T), local time, or a UNIX timestamp; 0 when it is not
   given. A usage error when it is none of these. */
time_t doveadm_standby_cmd_param_date(struct doveadm_standby_cmd_context *ctx,
				      const char *name);

/* Seam (doveadm-standby-cmd-glue-dc23.c, -dc24.c): set the vfuncs of a
   doveadm mail command whose signatures differ between the majors, so
   that doveadm calls doveadm_standby_cmd_init(). */
void doveadm_standby_cmd_glue_set(struct doveadm_mail_cmd_context *mctx);
void doveadm_standby_cmd_init(struct doveadm_mail_cmd_context *mctx);

/* Progress for long runs, on stderr (never mixed into -f output). */
void doveadm_standby_progress(const char *fmt, ...) ATTR_FORMAT(1, 2);

struct standby_imap;
/* Connect and log in to the user's standby. On failure logs one line and
   records DOVEADM_STANDBY_ERROR_TEMP. */
int doveadm_standby_connect(struct doveadm_standby_cmd_context *ctx,
			    struct standby_imap **imap_r);

extern struct doveadm_cmd_ver2 doveadm_standby_cmd_status;
extern struct doveadm_cmd_ver2 doveadm_standby_cmd_flush;
extern struct doveadm_cmd_ver2 doveadm_standby_cmd_restore;
extern struct doveadm_cmd_ver2 doveadm_standby_cmd_failback;
extern struct doveadm_cmd_ver2 doveadm_standby_cmd_verify;

void doveadm_standby_cmds_init(void);

#endif

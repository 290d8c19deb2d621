/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.3: init() gets the positional arguments (the verbs have
   none), and doveadm refuses a command's options unless it has a
   parse_arg(), to which it passes each of them as a short option. The
   options are read in init() from cctx instead, by their long names, as
   on 2.4; parse_arg() only accepts them. A command inside doveadm batch
   has no cctx: it takes no options there. */

#include "lib.h"
#include "doveadm-standby-cmd.h"

static bool
doveadm_standby_cmd_glue_parse_arg(struct doveadm_mail_cmd_context *mctx,
				   int c ATTR_UNUSED)
{
	return mctx->cctx != NULL;
}

static void
doveadm_standby_cmd_glue_init(struct doveadm_mail_cmd_context *mctx,
			      const char *const args[] ATTR_UNUSED)
{
	doveadm_standby_cmd_init(mctx);
}

void doveadm_standby_cmd_glue_set(struct doveadm_mail_cmd_context *mctx)
{
	mctx->v.parse_arg = doveadm_standby_cmd_glue_parse_arg;
	mctx->v.init = doveadm_standby_cmd_glue_init;
}

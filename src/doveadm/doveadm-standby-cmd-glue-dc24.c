/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.4: init() takes the command only; the options are in cctx. */

#include "lib.h"
#include "doveadm-standby-cmd.h"

static void
doveadm_standby_cmd_glue_init(struct doveadm_mail_cmd_context *mctx)
{
	doveadm_standby_cmd_init(mctx);
}

void doveadm_standby_cmd_glue_set(struct doveadm_mail_cmd_context *mctx)
{
	mctx->v.init = doveadm_standby_cmd_glue_init;
}

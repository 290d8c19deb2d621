/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The doveadm plugin: registers `doveadm standby <command>`. The only
   file that knows how doveadm loads plugins. */

#include "lib.h"
#include "doveadm-mail.h"
#include "doveadm-standby-cmd.h"

void doveadm_standby_plugin_init(struct module *module);
void doveadm_standby_plugin_deinit(void);

const char *doveadm_standby_plugin_version = DOVECOT_ABI_VERSION;

void doveadm_standby_plugin_init(struct module *module ATTR_UNUSED)
{
	doveadm_standby_cmds_init();
}

void doveadm_standby_plugin_deinit(void)
{
}

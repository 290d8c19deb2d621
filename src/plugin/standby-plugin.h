/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_PLUGIN_H
#define STANDBY_PLUGIN_H

#include "module-context.h"
#include "array.h"
#include "mail-user.h"

#define STANDBY_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, standby_user_module)
#define STANDBY_USER_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, standby_user_module)

struct standby_user {
	union mail_user_module_context module_ctx;
	/* NULL when the user is not mirrored (or the settings are bad) */
	const struct standby_settings *set;
	struct event *event;
	/* Sent-mail captures of the last commit, until the mirror action
	   takes them or the scripts are done, and the commit in progress
	   (standby-sent-save.c) */
	ARRAY(struct standby_sent_copy *) sent_captures;
	struct standby_sent_transaction *sent_commit;
};

extern MODULE_CONTEXT_DEFINE(standby_user_module, &mail_user_module_register);

void standby_plugin_init(struct module *module);
void standby_plugin_deinit(void);

#endif

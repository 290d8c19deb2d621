/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The mail plugin: parses a user's standby settings once when the user is
   created, complains about bad ones, and keeps them in a user context for
   the doveadm commands. In IMAP it also captures the messages saved into
   \Sent for the Sieve action (standby-sent-save.c). The queueing itself
   is done by the Sieve action (sieve_standby), which must work without
   this plugin. */

#include "lib.h"
#include "mail-user.h"
#include "mail-storage-hooks.h"
#include "standby-common.h"
#include "standby-settings.h"
#include "standby-plugin.h"
#include "standby-sent-save.h"

const char *standby_plugin_version = DOVECOT_ABI_VERSION;

struct standby_user_module standby_user_module =
	MODULE_CONTEXT_INIT(&mail_user_module_register);

static void standby_user_deinit(struct mail_user *user)
{
	struct standby_user *suser = STANDBY_USER_CONTEXT(user);

	standby_sent_save_user_deinit(suser);
	event_unref(&suser->event);
	suser->module_ctx.super.deinit(user);
}

static void standby_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct standby_user *suser;
	const struct standby_settings *set;
	const char *error;
	int ret;

	/* LMTP's and LDA's raw mail user (and a shared mailbox's owner)
	   has no userdb fields: Dovecot 2.3 and 2.4 both create it with
	   this hook */
	if (user->autocreated)
		return;

	suser = p_new(user->pool, struct standby_user, 1);
	suser->module_ctx.super = *v;
	user->vlast = &suser->module_ctx.super;
	v->deinit = standby_user_deinit;
	MODULE_CONTEXT_SET(user, standby_user_module, suser);
	i_array_init(&suser->sent_captures, 4);

	suser->event = event_create(user->event);
	event_add_category(suser->event, &event_category_standby);
	event_set_append_log_prefix(suser->event, "standby: ");

	ret = standby_settings_get_user(user, user->pool, &set, &error);
	if (ret < 0) {
		e_error(suser->event, "Invalid settings, "
			"mirroring disabled: %s", error);
	} else if (ret == 0) {
		e_debug(suser->event, "version %s: standby_host not set, "
			"mirroring disabled", STANDBY_VERSION);
	} else {
		e_debug(suser->event, "version %s: mirroring to %s:%u "
			"(ssl=%s) as %s, state in %s", STANDBY_VERSION,
			set->host, set->port, standby_ssl_mode_to_str(set->ssl),
			set->user, set->state_dir);
		suser->set = set;
	}
}

static struct mail_storage_hooks standby_mail_storage_hooks = {
	.mail_user_created = standby_mail_user_created,
	.mailbox_allocated = standby_sent_save_mailbox_allocated,
};

void standby_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &standby_mail_storage_hooks);
}

void standby_plugin_deinit(void)
{
	mail_storage_hooks_remove(&standby_mail_storage_hooks);
}

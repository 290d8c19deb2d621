/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The glue between Dovecot 2.3's plugin settings and the parser: the
   plugin {} section and the userdb extra fields, both read with
   mail_user_plugin_getenv(). standby-settings-user-dc24.c is the 2.4
   side. */

#include "lib.h"
#include "mail-user.h"
#include "standby-settings.h"

static const char *standby_user_getenv(const char *name, void *context)
{
	struct mail_user *user = context;

	return mail_user_plugin_getenv(user, name);
}

int standby_settings_get_user(struct mail_user *user, pool_t pool,
			      const struct standby_settings **set_r,
			      const char **error_r)
{
	const char *home;

	if (mail_user_get_home(user, &home) <= 0)
		home = NULL;
	return standby_settings_parse(pool, standby_user_getenv, user,
				      home, set_r, error_r);
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The glue between Dovecot 2.4's settings and the parser: settings_get()
   returns the standby_* settings for the user's event (global, protocol
   {} blocks, userdb fields on top, %variables expanded, already checked
   by the same parser), and they are parsed into the struct the modules
   use. standby-settings-user-dc23.c is the 2.3 side. */

#include "lib.h"
#include "settings.h"
#include "mail-user.h"
#include "standby-settings.h"
#include "standby-settings-dc24.h"

int standby_settings_get_user(struct mail_user *user, pool_t pool,
			      const struct standby_settings **set_r,
			      const char **error_r)
{
	const struct standby_settings_dc24 *set;
	const char *home;
	int ret;

	*set_r = NULL;
	if (settings_get(user->event, &standby_setting_parser_info, 0,
			 &set, error_r) < 0)
		return -1;
	if (mail_user_get_home(user, &home) <= 0)
		home = NULL;
	/* the parser copies every string into pool */
	ret = standby_settings_parse(pool, standby_settings_dc24_getenv,
				     (void *)set, home, set_r, error_r);
	settings_free(set);
	return ret;
}

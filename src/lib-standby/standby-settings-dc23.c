/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The settings parser's one call that Dovecot 2.3 names differently.
   Dovecot 2.3 needs no declaration of the settings: its plugin {}
   section takes any key. standby-settings-dc24.c is the 2.4 side. */

#include "lib.h"
#include "settings-parser.h"
#include "standby-settings.h"

int standby_settings_parse_interval(const char *str, unsigned int *secs_r,
				    const char **error_r)
{
	return settings_get_time(str, secs_r, error_r);
}

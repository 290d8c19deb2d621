/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.4's config process (and doveconf) loads
   $(dovecot_moduledir)/settings/libstandby_settings.so and takes the
   settings it declares from standby_settings_set_infos[]: without it,
   every standby_* key is an "Unknown setting". */

#include "lib.h"
#include "settings-parser.h"
#include "standby-settings-dc24.h"

extern const char *standby_settings_version;
extern const struct setting_parser_info *standby_settings_set_infos[];

const char *standby_settings_version = DOVECOT_ABI_VERSION;

const struct setting_parser_info *standby_settings_set_infos[] = {
	&standby_setting_parser_info,
	NULL
};

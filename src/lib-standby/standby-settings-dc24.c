/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The standby_* settings declared to Dovecot 2.4, whose config process
   refuses keys that no settings module declares. The check runs the
   parser's own checks, so doveconf reports a bad value as a user's
   session would. Linked into the settings module (src/settings, loaded
   by the config process: nothing here may need the mail storage) and
   into libstandby. standby-settings-dc23.c is the 2.3 side. */

#include "lib.h"
#include "str-parse.h"
#include "settings-parser.h"
#include "standby-settings.h"
#include "standby-settings-dc24.h"

#undef DEF
#define DEF(name) \
	SETTING_DEFINE_STRUCT_STR(#name, name, struct standby_settings_dc24)

static const struct setting_define standby_setting_defines[] = {
	DEF(standby_host),
	DEF(standby_port),
	DEF(standby_ssl),
	DEF(standby_ssl_verify),
	DEF(standby_ssl_ca_file),
	DEF(standby_user),
	DEF(standby_password),
	DEF(standby_min_backoff),
	DEF(standby_max_backoff),
	DEF(standby_max_queue_lifetime),
	DEF(standby_timeout),
	DEF(standby_state_dir),
	DEF(standby_sent_mailbox),

	SETTING_DEFINE_LIST_END
};

/* Empty: the parser applies the defaults (standby-settings.h), as on 2.3 */
static const struct standby_settings_dc24 standby_default_settings = {
	.standby_host = "",
	.standby_port = "",
	.standby_ssl = "",
	.standby_ssl_verify = "",
	.standby_ssl_ca_file = "",
	.standby_user = "",
	.standby_password = "",
	.standby_min_backoff = "",
	.standby_max_backoff = "",
	.standby_max_queue_lifetime = "",
	.standby_timeout = "",
	.standby_state_dir = "",
	.standby_sent_mailbox = "",
};

static bool
standby_settings_dc24_check(void *set, pool_t pool ATTR_UNUSED,
			    const char **error_r)
{
	return standby_settings_check(standby_settings_dc24_getenv, set,
				      error_r) == 0;
}

const struct setting_parser_info standby_setting_parser_info = {
	.name = "standby",

	.defines = standby_setting_defines,
	.defaults = &standby_default_settings,

	.struct_size = sizeof(struct standby_settings_dc24),
	.pool_offset1 = 1 + offsetof(struct standby_settings_dc24, pool),

	.check_func = standby_settings_dc24_check,
};

const char *standby_settings_dc24_getenv(const char *name, void *context)
{
	const struct standby_settings_dc24 *set = context;
	const struct setting_define *def;
	const char *value;
	unsigned int idx;

	if (!setting_parser_info_find_key(&standby_setting_parser_info,
					  name, &idx))
		i_panic("standby: Setting %s is not declared", name);
	def = &standby_setting_parser_info.defines[idx];
	i_assert(def->type == SET_STR);
	value = *(const char *const *)CONST_PTR_OFFSET(set, def->offset);
	/* doveconf: a value with %variables is only known per user */
	return value == set_value_unknown ? NULL : value;
}

int standby_settings_parse_interval(const char *str, unsigned int *secs_r,
				    const char **error_r)
{
	return str_parse_get_interval(str, secs_r, error_r);
}

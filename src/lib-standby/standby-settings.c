/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "standby-settings.h"

/* The parser knows nothing of Dovecot's mail users nor of how a major
   stores settings: it reads every value through a getter, so the unit
   tests can feed it directly, and both majors run the same checks. */

struct standby_settings_parser {
	pool_t pool;
	standby_settings_getenv_t *getenv;
	void *context;
	const char *error;

	/* Check only the values that are set (standby_settings_check()) */
	bool values_only;
};

static const char *
standby_get(struct standby_settings_parser *parser, const char *name)
{
	const char *value = parser->getenv(name, parser->context);

	return value == NULL || *value == '\0' ? NULL : value;
}

static int
standby_get_secs(struct standby_settings_parser *parser, const char *name,
		 unsigned int default_secs, unsigned int *secs_r)
{
	const char *value = standby_get(parser, name), *error;

	if (value == NULL) {
		*secs_r = default_secs;
		return 0;
	}
	if (standby_settings_parse_interval(value, secs_r, &error) < 0) {
		parser->error = t_strdup_printf("%s: %s", name, error);
		return -1;
	}
	return 0;
}

static int
standby_get_bool(struct standby_settings_parser *parser, const char *name,
		 bool default_value, bool *value_r)
{
	const char *value = standby_get(parser, name);

	if (value == NULL)
		*value_r = default_value;
	else if (strcasecmp(value, "yes") == 0)
		*value_r = TRUE;
	else if (strcasecmp(value, "no") == 0)
		*value_r = FALSE;
	else {
		parser->error = t_strdup_printf(
			"%s: Invalid boolean '%s' (use yes or no)",
			name, value);
		return -1;
	}
	return 0;
}

static int standby_parse_ssl(struct standby_settings_parser *parser,
			     enum standby_ssl_mode *mode_r)
{
	const char *value = standby_get(parser, "standby_ssl");

	if (value == NULL || strcasecmp(value, "imaps") == 0)
		*mode_r = STANDBY_SSL_IMAPS;
	else if (strcasecmp(value, "starttls") == 0)
		*mode_r = STANDBY_SSL_STARTTLS;
	else if (strcasecmp(value, "no") == 0)
		*mode_r = STANDBY_SSL_NONE;
	else {
		parser->error = t_strdup_printf(
			"standby_ssl: Invalid value '%s' "
			"(use imaps, starttls or no)", value);
		return -1;
	}
	return 0;
}

static int standby_parse_port(struct standby_settings_parser *parser,
			      enum standby_ssl_mode ssl, in_port_t *port_r)
{
	const char *value = standby_get(parser, "standby_port");

	if (value == NULL) {
		*port_r = ssl == STANDBY_SSL_IMAPS ? 993 : 143;
		return 0;
	}
	if (net_str2port(value, port_r) < 0) {
		parser->error = t_strdup_printf(
			"standby_port: Invalid port '%s'", value);
		return -1;
	}
	return 0;
}

static int
standby_settings_parse_real(struct standby_settings_parser *parser,
			    const char *home, struct standby_settings *set)
{
	const char *value;

	set->host = p_strdup(parser->pool, standby_get(parser, "standby_host"));
	if (standby_parse_ssl(parser, &set->ssl) < 0 ||
	    standby_parse_port(parser, set->ssl, &set->port) < 0 ||
	    standby_get_bool(parser, "standby_ssl_verify", TRUE,
			     &set->ssl_verify) < 0)
		return -1;
	set->ssl_ca_file = p_strdup(parser->pool,
				    standby_get(parser, "standby_ssl_ca_file"));

	set->user = p_strdup(parser->pool, standby_get(parser, "standby_user"));
	if (set->user == NULL && !parser->values_only) {
		parser->error = "standby_user: Not set, but standby_host is";
		return -1;
	}
	set->password = p_strdup_empty(parser->pool,
				       parser->getenv("standby_password",
						      parser->context));
	if (set->password == NULL && !parser->values_only) {
		parser->error = "standby_password: Not set, but standby_host is";
		return -1;
	}

	if (standby_get_secs(parser, "standby_min_backoff",
			     STANDBY_DEFAULT_MIN_BACKOFF_SECS,
			     &set->min_backoff_secs) < 0 ||
	    standby_get_secs(parser, "standby_max_backoff",
			     STANDBY_DEFAULT_MAX_BACKOFF_SECS,
			     &set->max_backoff_secs) < 0 ||
	    standby_get_secs(parser, "standby_max_queue_lifetime",
			     STANDBY_DEFAULT_MAX_QUEUE_LIFETIME_SECS,
			     &set->max_queue_lifetime_secs) < 0 ||
	    standby_get_secs(parser, "standby_timeout",
			     STANDBY_DEFAULT_TIMEOUT_SECS,
			     &set->timeout_secs) < 0)
		return -1;
	if (set->min_backoff_secs == 0) {
		parser->error = "standby_min_backoff: Must be at least 1s";
		return -1;
	}
	if (set->max_backoff_secs < set->min_backoff_secs) {
		parser->error = "standby_max_backoff: "
			"Must not be smaller than standby_min_backoff";
		return -1;
	}
	if (set->timeout_secs == 0) {
		parser->error = "standby_timeout: Must be at least 1s";
		return -1;
	}

	value = standby_get(parser, "standby_state_dir");
	if (value != NULL)
		set->state_dir = p_strdup(parser->pool, value);
	else if (home != NULL && *home != '\0') {
		set->state_dir = p_strconcat(parser->pool, home, "/",
					     STANDBY_DEFAULT_STATE_DIR_NAME,
					     NULL);
	} else if (!parser->values_only) {
		parser->error = "standby_state_dir: Not set, "
			"and the user has no home directory";
		return -1;
	}
	if (set->state_dir != NULL && set->state_dir[0] != '/') {
		parser->error = t_strdup_printf(
			"standby_state_dir: Not an absolute path: %s",
			set->state_dir);
		return -1;
	}

	value = standby_get(parser, "standby_sent_mailbox");
	set->sent_mailbox = p_strdup(parser->pool, value != NULL ? value :
				     STANDBY_DEFAULT_SENT_MAILBOX);
	return 0;
}

int standby_settings_parse(pool_t pool, standby_settings_getenv_t *getenv,
			   void *context, const char *home,
			   const struct standby_settings **set_r,
			   const char **error_r)
{
	struct standby_settings_parser parser = {
		.pool = pool,
		.getenv = getenv,
		.context = context,
	};
	struct standby_settings *set;

	*set_r = NULL;
	if (standby_get(&parser, "standby_host") == NULL)
		return 0;

	set = p_new(pool, struct standby_settings, 1);
	if (standby_settings_parse_real(&parser, home, set) < 0) {
		*error_r = parser.error;
		return -1;
	}
	*set_r = set;
	return 1;
}

int standby_settings_check(standby_settings_getenv_t *getenv, void *context,
			   const char **error_r)
{
	struct standby_settings_parser parser = {
		.pool = pool_datastack_create(),
		.getenv = getenv,
		.context = context,
		.values_only = TRUE,
	};
	struct standby_settings set;

	i_zero(&set);
	if (standby_settings_parse_real(&parser, NULL, &set) < 0) {
		*error_r = parser.error;
		return -1;
	}
	return 0;
}

const char *standby_ssl_mode_to_str(enum standby_ssl_mode mode)
{
	switch (mode) {
	case STANDBY_SSL_IMAPS:
		return "imaps";
	case STANDBY_SSL_STARTTLS:
		return "starttls";
	case STANDBY_SSL_NONE:
		return "no";
	}
	i_unreached();
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SETTINGS_DC24_H
#define STANDBY_SETTINGS_DC24_H

/* Dovecot 2.4's declaration of the standby_* settings (2.4 only). Each is
   a string, as 2.3's plugin {} section holds it, so that one parser
   (standby-settings.c) checks the values on both majors; an empty string
   means "not set" (the parser's default). The config process learns the
   declaration from the settings module (src/settings), the mail
   processes read it with settings_get(). */
struct standby_settings_dc24 {
	pool_t pool;

	const char *standby_host;
	const char *standby_port;
	const char *standby_ssl;
	const char *standby_ssl_verify;
	const char *standby_ssl_ca_file;
	const char *standby_user;
	const char *standby_password;
	const char *standby_min_backoff;
	const char *standby_max_backoff;
	const char *standby_max_queue_lifetime;
	const char *standby_timeout;
	const char *standby_state_dir;
	const char *standby_sent_mailbox;
};

extern const struct setting_parser_info standby_setting_parser_info;

/* A standby_settings_getenv_t over a struct standby_settings_dc24 */
const char *standby_settings_dc24_getenv(const char *name, void *context);

#endif

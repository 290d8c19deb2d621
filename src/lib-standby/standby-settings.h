/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_SETTINGS_H
#define STANDBY_SETTINGS_H

#include "net.h"

struct mail_user;

enum standby_ssl_mode {
	STANDBY_SSL_IMAPS = 0,	/* TLS from the first byte (port 993) */
	STANDBY_SSL_STARTTLS,	/* plain connect, then STARTTLS (port 143) */
	STANDBY_SSL_NONE,	/* plaintext: only when set explicitly */
};

/* A user's standby configuration, parsed once. All strings are allocated
   from the pool given to standby_settings_parse(). */
struct standby_settings {
	const char *host;
	in_port_t port;
	enum standby_ssl_mode ssl;
	bool ssl_verify;
	const char *ssl_ca_file;
	const char *user;
	const char *password;

	/* Retry knobs, as Postfix's minimal_backoff_time,
	   maximal_backoff_time and maximal_queue_lifetime. */
	unsigned int min_backoff_secs;
	unsigned int max_backoff_secs;
	unsigned int max_queue_lifetime_secs;

	/* Directory holding the user's queue, dead letters and ledger. */
	const char *state_dir;
	/* Standby folder for outgoing copies when the standby has no
	   \Sent special-use mailbox. */
	const char *sent_mailbox;
	/* Seconds without progress before a standby command times out. */
	unsigned int timeout_secs;
};

/* Looks up one setting by its full name ("standby_host"); returns NULL
   when it is not set. */
typedef const char *standby_settings_getenv_t(const char *name,
					      void *context);

#define STANDBY_DEFAULT_MIN_BACKOFF_SECS 60
#define STANDBY_DEFAULT_MAX_BACKOFF_SECS (60*60)
#define STANDBY_DEFAULT_MAX_QUEUE_LIFETIME_SECS (5*24*60*60)
#define STANDBY_DEFAULT_TIMEOUT_SECS 60
#define STANDBY_DEFAULT_SENT_MAILBOX "Sent"
/* Relative to the user's home directory */
#define STANDBY_DEFAULT_STATE_DIR_NAME ".standby"

/* Parse the settings through getenv. home is used for the default
   state_dir (may be NULL, then standby_state_dir must be set).
   Returns 1 when the standby is configured, 0 when standby_host is unset
   (the user is not mirrored; *set_r is NULL) and -1 with *error_r on an
   invalid value. */
int standby_settings_parse(pool_t pool, standby_settings_getenv_t *getenv,
			   void *context, const char *home,
			   const struct standby_settings **set_r,
			   const char **error_r);

/* Check every standby_* value that is set, the same way as
   standby_settings_parse(), but without requiring what only a user has
   (standby_host, standby_user, standby_password, a home): Dovecot 2.4's
   config process runs this for doveconf, before userdb fields fill in the
   rest. A value the getter cannot know yet (one with %{variables}) it
   returns as NULL; it is checked after expansion, when a user's settings
   are parsed. Returns 0, or -1 with *error_r naming the setting. */
int standby_settings_check(standby_settings_getenv_t *getenv, void *context,
			   const char **error_r);

/* The user's settings: the API every module (mail plugin, Sieve plugin,
   worker, doveadm) calls with any real mail user, the same on Dovecot 2.3
   and 2.4. The values come from the configuration (2.3: the plugin {}
   section; 2.4: the standby_* settings, globally or in protocol {}
   blocks) with the userdb fields on top (on 2.4 a protocol {} block's
   value wins over the userdb's), %variables expanded, and go through
   standby_settings_parse(): 1 configured, 0 inert (*set_r is NULL), -1
   with *error_r (data stack) on a bad value; on 2.4 also when Dovecot
   cannot give the settings (e.g. the settings module is not installed).
   Everything is allocated from pool (the strings are copied: nothing
   refers to Dovecot's settings afterwards). The glue that knows how the
   major stores settings is standby-settings-user-dc23.c /
   standby-settings-user-dc24.c. */
int standby_settings_get_user(struct mail_user *user, pool_t pool,
			      const struct standby_settings **set_r,
			      const char **error_r);

/* Parse a time interval ("30s", "2 mins", "1d"; a bare number other than
   0 needs a unit) into seconds. Dovecot names this function differently
   in each major: standby-settings-dc23.c / standby-settings-dc24.c. */
int standby_settings_parse_interval(const char *str, unsigned int *secs_r,
				    const char **error_r);

const char *standby_ssl_mode_to_str(enum standby_ssl_mode mode);

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "test-common.h"
#include "standby-settings.h"

/* key=value pairs, NULL-terminated */
static const char *test_getenv(const char *name, void *context)
{
	const char *const *kv = context;

	for (; kv[0] != NULL; kv += 2) {
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	}
	return NULL;
}

static int test_parse(const char *const *kv, const char *home,
		      const struct standby_settings **set_r,
		      const char **error_r)
{
	return standby_settings_parse(pool_datastack_create(), test_getenv,
				      (void *)kv, home, set_r, error_r);
}

static void test_standby_settings_unconfigured(void)
{
	const char *const kv[] = { "standby_user", "u", NULL };
	const struct standby_settings *set;
	const char *error;

	test_begin("standby settings: no standby_host means inert");
	test_assert(test_parse(kv, "/home/u", &set, &error) == 0);
	test_assert(set == NULL);
	test_end();
}

static void test_standby_settings_defaults(void)
{
	const char *const kv[] = {
		"standby_host", "standby.example.org",
		"standby_user", "backup@example.org",
		"standby_password", "secret",
		NULL
	};
	const struct standby_settings *set;
	const char *error;

	test_begin("standby settings: defaults");
	test_assert(test_parse(kv, "/home/u", &set, &error) == 1);
	test_assert_strcmp(set->host, "standby.example.org");
	test_assert(set->port == 993);
	test_assert(set->ssl == STANDBY_SSL_IMAPS);
	test_assert(set->ssl_verify);
	test_assert(set->ssl_ca_file == NULL);
	test_assert_strcmp(set->user, "backup@example.org");
	test_assert_strcmp(set->password, "secret");
	test_assert(set->min_backoff_secs == STANDBY_DEFAULT_MIN_BACKOFF_SECS);
	test_assert(set->max_backoff_secs == STANDBY_DEFAULT_MAX_BACKOFF_SECS);
	test_assert(set->max_queue_lifetime_secs ==
		    STANDBY_DEFAULT_MAX_QUEUE_LIFETIME_SECS);
	test_assert_strcmp(set->state_dir, "/home/u/.standby");
	test_assert_strcmp(set->sent_mailbox, "Sent");
	test_end();
}

static void test_standby_settings_values(void)
{
	const char *const kv[] = {
		"standby_host", "127.0.0.1",
		"standby_ssl", "starttls",
		"standby_ssl_verify", "no",
		"standby_ssl_ca_file", "/etc/ssl/ca.pem",
		"standby_user", "u",
		"standby_password", "p",
		"standby_min_backoff", "5s",
		"standby_max_backoff", "2 mins",
		"standby_max_queue_lifetime", "1d",
		"standby_state_dir", "/var/spool/standby/u",
		"standby_sent_mailbox", "Gesendet",
		NULL
	};
	const struct standby_settings *set;
	const char *error;

	test_begin("standby settings: explicit values");
	test_assert(test_parse(kv, NULL, &set, &error) == 1);
	test_assert(set->ssl == STANDBY_SSL_STARTTLS);
	test_assert(set->port == 143);
	test_assert(!set->ssl_verify);
	test_assert_strcmp(set->ssl_ca_file, "/etc/ssl/ca.pem");
	test_assert(set->min_backoff_secs == 5);
	test_assert(set->max_backoff_secs == 120);
	test_assert(set->max_queue_lifetime_secs == 86400);
	test_assert_strcmp(set->state_dir, "/var/spool/standby/u");
	test_assert_strcmp(set->sent_mailbox, "Gesendet");
	test_end();
}

static void test_standby_settings_errors(void)
{
	static const struct {
		const char *key, *value, *error;
	} tests[] = {
		{ "standby_ssl", "tls", "standby_ssl: Invalid value 'tls'" },
		{ "standby_port", "99999", "standby_port: Invalid port" },
		{ "standby_port", "abc", "standby_port: Invalid port" },
		{ "standby_ssl_verify", "maybe", "standby_ssl_verify:" },
		{ "standby_min_backoff", "soon", "standby_min_backoff:" },
		{ "standby_min_backoff", "0", "at least 1s" },
		{ "standby_max_backoff", "1s",
		  "Must not be smaller than standby_min_backoff" },
		{ "standby_state_dir", "relative/dir", "Not an absolute path" },
		{ "standby_user", "", "standby_user: Not set" },
		{ "standby_password", "", "standby_password: Not set" },
	};
	const struct standby_settings *set;
	const char *error;
	unsigned int i;

	test_begin("standby settings: errors name the setting");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		const char *kv[] = {
			tests[i].key, tests[i].value,
			"standby_host", "h",
			"standby_user", "u",
			"standby_password", "p",
			"standby_min_backoff", "10s",
			NULL
		};
		error = NULL;
		test_assert_idx(test_parse(kv, "/home/u", &set,
					   &error) == -1, i);
		test_assert_idx(error != NULL &&
				strstr(error, tests[i].error) != NULL, i);
	}
	test_end();
}

static void test_standby_settings_no_home(void)
{
	const char *const kv[] = {
		"standby_host", "h", "standby_user", "u",
		"standby_password", "p", NULL
	};
	const struct standby_settings *set;
	const char *error;

	test_begin("standby settings: no home and no state_dir");
	test_assert(test_parse(kv, NULL, &set, &error) == -1);
	test_assert(strstr(error, "standby_state_dir") != NULL);
	test_end();
}

static void test_standby_settings_check_values(void)
{
	/* what Dovecot 2.4's config process sees: no user, no home, and
	   standby_user/_password may come later from userdb */
	const char *const partial[] = {
		"standby_host", "h",
		"standby_ssl", "STARTTLS",
		"standby_port", "1143",
		"standby_min_backoff", "5s",
		NULL
	};
	const char *const unset[] = { NULL };
	const char *error = NULL;

	test_begin("standby settings: check the values that are set");
	test_assert(standby_settings_check(test_getenv, (void *)partial,
					   &error) == 0);
	test_assert(standby_settings_check(test_getenv, (void *)unset,
					   &error) == 0);
	test_end();
}

static void test_standby_settings_check_errors(void)
{
	/* the same checks as a user's parse, with or without standby_host */
	static const struct {
		const char *key, *value, *error;
	} tests[] = {
		{ "standby_ssl", "maybe",
		  "standby_ssl: Invalid value 'maybe'" },
		{ "standby_port", "99999", "standby_port: Invalid port" },
		{ "standby_port", "0", "standby_port: Invalid port" },
		{ "standby_ssl_verify", "maybe", "standby_ssl_verify:" },
		{ "standby_min_backoff", "soon", "standby_min_backoff:" },
		{ "standby_min_backoff", "5", "standby_min_backoff:" },
		{ "standby_max_queue_lifetime", "1y",
		  "standby_max_queue_lifetime:" },
		{ "standby_timeout", "0", "standby_timeout: Must be at least" },
		{ "standby_max_backoff", "1s",
		  "Must not be smaller than standby_min_backoff" },
		{ "standby_state_dir", "relative/dir", "Not an absolute path" },
	};
	const char *error;
	unsigned int i, with_host;

	test_begin("standby settings: check reports a bad value");
	for (i = 0; i < N_ELEMENTS(tests); i++) {
		for (with_host = 0; with_host < 2; with_host++) {
			const char *kv[] = {
				tests[i].key, tests[i].value,
				"standby_min_backoff", "10s",
				with_host == 1 ? "standby_host" : NULL, "h",
				NULL
			};
			error = NULL;
			test_assert_idx(standby_settings_check(
				test_getenv, kv, &error) == -1, i);
			test_assert_idx(error != NULL &&
					strstr(error, tests[i].error) != NULL,
					i);
		}
	}
	test_end();
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_standby_settings_unconfigured,
		test_standby_settings_defaults,
		test_standby_settings_values,
		test_standby_settings_errors,
		test_standby_settings_no_home,
		test_standby_settings_check_values,
		test_standby_settings_check_errors,
		NULL
	};
	return test_run(test_functions);
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The settings parser through its getter. The input is lines of
   "name=value" (the plugin settings / userdb fields), "home=DIR" giving the
   user's home. Invariants checked for accepted settings: what the rest of
   the project relies on (a host, user and password; an absolute state
   directory; sane backoff limits) and the backoff arithmetic with them;
   and that the values-only check (doveconf on Dovecot 2.4) refuses
   nothing that the full parse accepts. */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "fuzz-standby-common.h"

struct fuzz_settings_env {
	ARRAY_TYPE(const_string) keys, values;
};

int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	fuzz_standby_init();
	return 0;
}

static const char *fuzz_settings_getenv(const char *name, void *context)
{
	struct fuzz_settings_env *env = context;
	const char *const *keys, *const *values;
	unsigned int i, count;

	keys = array_get(&env->keys, &count);
	values = array_get(&env->values, &count);
	/* the first one wins, as in Dovecot's plugin settings */
	for (i = 0; i < count; i++) {
		if (strcmp(keys[i], name) == 0)
			return values[i];
	}
	return NULL;
}

static void fuzz_settings_check(const struct standby_settings *set)
{
	static const time_t ages[] = {
		0, 1, 59, 60, 3600, 86400 * 365, (time_t)1 << 40,
	};
	unsigned int i;
	time_t next;

	i_assert(set->host != NULL && *set->host != '\0');
	i_assert(set->user != NULL && *set->user != '\0');
	i_assert(set->password != NULL && *set->password != '\0');
	i_assert(set->state_dir != NULL && set->state_dir[0] == '/');
	i_assert(set->sent_mailbox != NULL && *set->sent_mailbox != '\0');
	i_assert(set->min_backoff_secs > 0);
	i_assert(set->max_backoff_secs >= set->min_backoff_secs);
	i_assert(set->timeout_secs > 0);
	(void)standby_ssl_mode_to_str(set->ssl);

	for (i = 0; i < N_ELEMENTS(ages); i++) {
		next = standby_queue_next_attempt(set, ioloop_time - ages[i],
						  ioloop_time);
		i_assert(next >= ioloop_time + (time_t)set->min_backoff_secs);
		i_assert(next <= ioloop_time + (time_t)set->max_backoff_secs);
		(void)standby_queue_expired(set, ioloop_time - ages[i],
					    ioloop_time);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	T_BEGIN {
		struct fuzz_settings_env env;
		const struct standby_settings *set;
		const char *const *lines, *home = NULL, *error, *p, *key;
		int ret;

		t_array_init(&env.keys, 16);
		t_array_init(&env.values, 16);
		lines = t_strsplit(t_strndup(data, size), "\n");
		for (; *lines != NULL; lines++) {
			p = strchr(*lines, '=');
			if (p == NULL)
				continue;
			key = t_strdup_until(*lines, p);
			if (strcmp(key, "home") == 0 && home == NULL) {
				home = p + 1;
				continue;
			}
			array_push_back(&env.keys, &key);
			p++;
			array_push_back(&env.values, &p);
		}
		ret = standby_settings_parse(pool_datastack_create(),
					     fuzz_settings_getenv, &env, home,
					     &set, &error);
		if (ret > 0)
			fuzz_settings_check(set);
		else if (ret == 0)
			i_assert(set == NULL);
		else
			i_assert(error != NULL && set == NULL);
		/* doveconf's check (Dovecot 2.4) never refuses what a
		   user's parse accepts */
		if (standby_settings_check(fuzz_settings_getenv, &env,
					   &error) < 0)
			i_assert(ret <= 0 && error != NULL);
	} T_END;
	return 0;
}

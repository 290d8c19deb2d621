/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.3, Pigeonhole 0.5: see fuzz-standby-mirror.h */

#include "lib.h"
#include "master-service.h"
#include "mail-storage-service.h"
#include "mail-user.h"
#include "mail-raw.h"

#include "sieve.h"
#include "sieve-script.h"
#include "sieve-extensions.h"

#include "fuzz-standby-mirror.h"

const char fuzz_mirror_config[] =
	"import_environment = TZ TMPDIR ASAN_OPTIONS UBSAN_OPTIONS "
	"LSAN_OPTIONS FUZZ_VERBOSE\n";

const enum master_service_flags fuzz_mirror_service_flags =
	MASTER_SERVICE_FLAG_STANDALONE |
	MASTER_SERVICE_FLAG_DONT_SEND_STATS |
	MASTER_SERVICE_FLAG_NO_INIT_DATASTACK_FRAME |
	MASTER_SERVICE_FLAG_DISABLE_SSL_SET;

static const char *fuzz_mirror_home_dir;

struct mail_user *fuzz_mirror_user_init(const char *username)
{
	struct mail_storage_service_ctx *storage_service;
	struct mail_storage_service_user *service_user;
	struct mail_storage_service_input input;
	struct mail_user *user;
	const char *error;

	i_zero(&input);
	input.module = "mail";
	input.service = "standby-fuzz-mirror";
	input.username = username;
	storage_service = mail_storage_service_init(master_service, NULL,
		MAIL_STORAGE_SERVICE_FLAG_NO_CHDIR |
		MAIL_STORAGE_SERVICE_FLAG_NO_LOG_INIT |
		MAIL_STORAGE_SERVICE_FLAG_NO_RESTRICT_ACCESS |
		MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES);
	if (mail_storage_service_lookup_next(storage_service, &input,
					     &service_user, &user,
					     &error) <= 0)
		i_fatal("mail_storage_service_lookup_next() failed: %s", error);
	return user;
}

struct mail_user *fuzz_mirror_raw_user_create(struct mail_user *user)
{
	return mail_raw_user_create(master_service, user);
}

static const char *fuzz_mirror_get_homedir(void *context ATTR_UNUSED)
{
	return fuzz_mirror_home_dir;
}

static const char *
fuzz_mirror_get_setting(void *context ATTR_UNUSED,
			const char *identifier ATTR_UNUSED)
{
	return NULL;
}

static const struct sieve_callbacks fuzz_mirror_callbacks = {
	.get_homedir = fuzz_mirror_get_homedir,
	.get_setting = fuzz_mirror_get_setting,
};

struct sieve_instance *
fuzz_mirror_sieve_init(const struct sieve_environment *env,
		       const char *home_dir, bool debug)
{
	struct sieve_instance *svinst;

	fuzz_mirror_home_dir = home_dir;
	svinst = sieve_init(env, &fuzz_mirror_callbacks, NULL, debug);
	if (svinst == NULL)
		i_fatal("sieve_init() failed");
	return svinst;
}

void fuzz_mirror_register(struct sieve_instance *svinst,
			  const struct sieve_extension_def *extdef)
{
	const struct sieve_extension *ext;

	ext = sieve_extension_register(svinst, extdef, TRUE);
	i_assert(ext != NULL);
}

struct sieve_binary *
fuzz_mirror_compile(struct sieve_instance *svinst, struct istream *input,
		    struct sieve_error_handler *ehandler)
{
	struct sieve_script *script;
	struct sieve_binary *sbin;
	enum sieve_error error;

	script = sieve_data_script_create_from_input(svinst, "fuzz", input);
	sbin = sieve_compile_script(script, ehandler, 0, &error);
	sieve_script_unref(&script);
	return sbin;
}

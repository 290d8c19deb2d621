/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.4, Pigeonhole 2.4: see fuzz-standby-mirror.h */

#include "lib.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "mail-storage-service.h"
#include "mail-user.h"
#include "mail-raw.h"

#include "sieve.h"
#include "sieve-script.h"
#include "sieve-extensions.h"

#include "fuzz-standby-mirror.h"

const char fuzz_mirror_config[] =
	"dovecot_config_version = 2.4.1\n"
	"dovecot_storage_version = 2.4.1\n"
	"import_environment {\n"
	"  TZ = %{env:TZ}\n"
	"  TMPDIR = %{env:TMPDIR}\n"
	"  ASAN_OPTIONS = %{env:ASAN_OPTIONS}\n"
	"  UBSAN_OPTIONS = %{env:UBSAN_OPTIONS}\n"
	"  LSAN_OPTIONS = %{env:LSAN_OPTIONS}\n"
	"  FUZZ_VERBOSE = %{env:FUZZ_VERBOSE}\n"
	"}\n";

const enum master_service_flags fuzz_mirror_service_flags =
	MASTER_SERVICE_FLAG_STANDALONE |
	MASTER_SERVICE_FLAG_DONT_SEND_STATS |
	MASTER_SERVICE_FLAG_NO_INIT_DATASTACK_FRAME |
	MASTER_SERVICE_FLAG_NO_SSL_INIT;

struct mail_user *fuzz_mirror_user_init(const char *username)
{
	struct mail_storage_service_ctx *storage_service;
	struct mail_storage_service_input input;
	struct mail_user *user;
	const char *error;

	if (master_service_settings_read_simple(master_service, &error) < 0)
		i_fatal("%s", error);
	i_zero(&input);
	input.service = "standby-fuzz-mirror";
	input.username = username;
	storage_service = mail_storage_service_init(master_service,
		MAIL_STORAGE_SERVICE_FLAG_NO_CHDIR |
		MAIL_STORAGE_SERVICE_FLAG_NO_LOG_INIT |
		MAIL_STORAGE_SERVICE_FLAG_NO_RESTRICT_ACCESS |
		MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES);
	if (mail_storage_service_lookup_next(storage_service, &input,
					     &user, &error) <= 0)
		i_fatal("mail_storage_service_lookup_next() failed: %s", error);
	return user;
}

struct mail_user *fuzz_mirror_raw_user_create(struct mail_user *user)
{
	return mail_raw_user_create(user);
}

static const char *
fuzz_mirror_get_homedir(struct sieve_instance *svinst ATTR_UNUSED,
			void *context)
{
	return context;
}

static const struct sieve_callbacks fuzz_mirror_callbacks = {
	.get_homedir = fuzz_mirror_get_homedir,
};

struct sieve_instance *
fuzz_mirror_sieve_init(const struct sieve_environment *env,
		       const char *home_dir, bool debug)
{
	struct sieve_instance *svinst;

	if (sieve_init(env, &fuzz_mirror_callbacks, (void *)home_dir, debug,
		       &svinst) < 0)
		i_fatal("sieve_init() failed");
	return svinst;
}

void fuzz_mirror_register(struct sieve_instance *svinst,
			  const struct sieve_extension_def *extdef)
{
	const struct sieve_extension *ext;

	if (sieve_extension_register(svinst, extdef, TRUE, &ext) < 0)
		i_fatal("sieve_extension_register(%s) failed", extdef->name);
}

struct sieve_binary *
fuzz_mirror_compile(struct sieve_instance *svinst, struct istream *input,
		    struct sieve_error_handler *ehandler)
{
	struct sieve_script *script;
	struct sieve_binary *sbin;
	enum sieve_error error;

	script = sieve_data_script_create_from_input(
		svinst, SIEVE_SCRIPT_CAUSE_DELIVERY, "fuzz", input);
	if (sieve_compile_script(script, ehandler, 0, &sbin, &error) < 0)
		sbin = NULL;
	sieve_script_unref(&script);
	return sbin;
}

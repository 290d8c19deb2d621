/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef FUZZ_STANDBY_MIRROR_H
#define FUZZ_STANDBY_MIRROR_H

/* Where the mirror fuzz target differs between the majors, one file per
   major: fuzz-standby-mirror-dc23.c, fuzz-standby-mirror-dc24.c (the
   model of both: Pigeonhole's lib-sieve-tool/sieve-tool.c). */

#include "master-service.h"

struct istream;
struct mail_user;
struct sieve_binary;
struct sieve_environment;
struct sieve_error_handler;
struct sieve_extension_def;
struct sieve_instance;

/* The settings file the target runs with (it must survive doveconf
   executing the target once more, and the sanitizers' options with
   it). */
extern const char fuzz_mirror_config[];

/* master_service_init()'s flags: standalone, no stats, no SSL */
extern const enum master_service_flags fuzz_mirror_service_flags;

/* The mail user whose settings the raw mail user takes; it is never
   given to Sieve. Reads the settings first. */
struct mail_user *fuzz_mirror_user_init(const char *username);
struct mail_user *fuzz_mirror_raw_user_create(struct mail_user *user);

/* sieve_init() with a home directory */
struct sieve_instance *
fuzz_mirror_sieve_init(const struct sieve_environment *env,
		       const char *home_dir, bool debug);
/* Register extdef, enabled. */
void fuzz_mirror_register(struct sieve_instance *svinst,
			  const struct sieve_extension_def *extdef);
/* Compile the script read from input; NULL when it is refused. */
struct sieve_binary *
fuzz_mirror_compile(struct sieve_instance *svinst, struct istream *input,
		    struct sieve_error_handler *ehandler);

#endif

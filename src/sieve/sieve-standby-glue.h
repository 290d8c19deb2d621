/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef SIEVE_STANDBY_GLUE_H
#define SIEVE_STANDBY_GLUE_H

#include "sieve-common.h"

/* Where Pigeonhole 0.5 (Dovecot 2.3) and 2.4 differ for the Sieve plugin,
   one file per major: sieve-standby-glue-dc23.c, sieve-standby-glue-dc24.c.
   They also define what cannot be declared once for both:

   - sieve_standby_plugin_load(), Pigeonhole's entry point: it returns
     void for 2.3 and int for 2.4 (Pigeonhole finds it by name, so no
     compiler would notice a wrong one);
   - ext_vnd_standby_mirror (ext-mirror-common.h), whose .load returns
     bool for 2.3 and int for 2.4;
   - the environment items' definitions, whose types differ. */

struct sieve_storage;

/* Called by sieve_standby_plugin_load() once the extension is
   registered (sieve-standby-plugin.c). */
void sieve_standby_loaded(struct sieve_instance *svinst,
			  const struct sieve_extension *ext_mirror,
			  void **context);

/* Called by the extension's .load with the environment extension, or
   NULL (ext-mirror.c). */
void ext_mirror_loaded(const struct sieve_extension *ext,
		       const struct sieve_extension *env_ext,
		       void **context);

/* Open the user's personal Sieve storage read-write, so that the file
   driver creates its directory (when it is configured); at compile time,
   without a mail user. Returns 0, or -1 with *error_code_r. */
int ext_mirror_personal_storage_create(struct sieve_validator *valdtr,
				       struct sieve_storage **storage_r,
				       enum sieve_error *error_code_r);

/* Open the user's personal Sieve storage as delivery sees it (falling
   back to the default script's storage). Returns 0, or -1 with
   *error_code_r. */
int ext_standby_personal_storage_open(const struct sieve_runtime_env *renv,
				      struct sieve_storage **storage_r,
				      enum sieve_error *error_code_r);

/* Register the environment items EXT_STANDBY_*_ITEM with env_ext. */
void ext_standby_environment_register(const struct sieve_extension *env_ext,
				      const struct sieve_extension *ext,
				      const struct sieve_runtime_env *renv);
/* The value of the environment item name (ext-standby-environment.c). */
const char *
ext_standby_environment_get_value(const struct sieve_runtime_env *renv,
				  const char *name);

#endif

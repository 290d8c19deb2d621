/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Pigeonhole 0.5 (Dovecot 2.3): see sieve-standby-glue.h */

#include "lib.h"

#include "sieve-common.h"
#include "sieve-extensions.h"
#include "sieve-validator.h"
#include "sieve-interpreter.h"
#include "sieve-ext-environment.h"
#include "sieve-settings.h"
#include "sieve-storage.h"

#include "ext-mirror-common.h"
#include "sieve-standby-glue.h"

void sieve_standby_plugin_load(struct sieve_instance *svinst, void **context);

void sieve_standby_plugin_load(struct sieve_instance *svinst, void **context)
{
	/* load=FALSE: scripts see it only when the admin enables it with
	   sieve_extensions = +vnd.standby.mirror (or the global variant) */
	sieve_standby_loaded(svinst,
		sieve_extension_register(svinst, &ext_vnd_standby_mirror,
					 FALSE), context);
}

static bool ext_mirror_load(const struct sieve_extension *ext, void **context)
{
	ext_mirror_loaded(ext, sieve_ext_environment_get_extension(ext->svinst),
			  context);
	return TRUE;
}

const struct sieve_extension_def ext_vnd_standby_mirror = {
	.name = "vnd.standby.mirror",
	.load = ext_mirror_load,
	.unload = ext_mirror_unload,
	.validator_load = ext_mirror_validator_load,
	.interpreter_load = ext_mirror_interpreter_load,
	SIEVE_EXT_DEFINE_OPERATION(ext_mirror_operation),
};

int ext_mirror_personal_storage_create(struct sieve_validator *valdtr,
				       struct sieve_storage **storage_r,
				       enum sieve_error *error_code_r)
{
	struct sieve_instance *svinst = sieve_validator_svinst(valdtr);
	const char *location;

	/* The `sieve' setting names the personal storage */
	*storage_r = NULL;
	location = sieve_setting_get(svinst, "sieve");
	if (location == NULL || *location == '\0')
		return 0;
	*storage_r = sieve_storage_create(svinst, location,
					  SIEVE_STORAGE_FLAG_READWRITE,
					  error_code_r);
	return *storage_r == NULL ? -1 : 0;
}

int ext_standby_personal_storage_open(const struct sieve_runtime_env *renv,
				      struct sieve_storage **storage_r,
				      enum sieve_error *error_code_r)
{
	const struct sieve_execute_env *eenv = renv->exec_env;

	*storage_r = sieve_storage_create_main(eenv->svinst,
					       eenv->scriptenv->user, 0,
					       error_code_r);
	return *storage_r == NULL ? -1 : 0;
}

static const char *
ext_standby_environment_item_get(const struct sieve_runtime_env *renv,
				 const char *name)
{
	return ext_standby_environment_get_value(renv, name);
}

static const struct sieve_environment_item ext_standby_environment_items[] = {
	{ .name = EXT_STANDBY_DIRECTION_ITEM,
	  .get_value = ext_standby_environment_item_get },
	{ .name = EXT_STANDBY_RULES_ITEM,
	  .get_value = ext_standby_environment_item_get },
};

void ext_standby_environment_register(const struct sieve_extension *env_ext,
				      const struct sieve_extension *ext
					ATTR_UNUSED,
				      const struct sieve_runtime_env *renv)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(ext_standby_environment_items); i++) {
		sieve_environment_item_register(env_ext, renv->interp,
			&ext_standby_environment_items[i]);
	}
}

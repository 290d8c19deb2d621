/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Pigeonhole 2.4 (Dovecot 2.4): see sieve-standby-glue.h */

#include "lib.h"

#include "sieve-common.h"
#include "sieve-extensions.h"
#include "sieve-validator.h"
#include "sieve-interpreter.h"
#include "sieve-ext-environment.h"
#include "sieve-storage.h"

#include "ext-mirror-common.h"
#include "sieve-standby-glue.h"

int sieve_standby_plugin_load(struct sieve_instance *svinst, void **context);

int sieve_standby_plugin_load(struct sieve_instance *svinst, void **context)
{
	const struct sieve_extension *ext;

	/* load=FALSE: scripts see it only when the admin enables it in
	   sieve_extensions (or the global variant) */
	if (sieve_extension_register(svinst, &ext_vnd_standby_mirror, FALSE,
				     &ext) < 0)
		return -1;
	sieve_standby_loaded(svinst, ext, context);
	return 0;
}

static int ext_mirror_load(const struct sieve_extension *ext, void **context)
{
	const struct sieve_extension *env_ext;

	if (sieve_ext_environment_get_extension(ext->svinst, &env_ext) < 0)
		env_ext = NULL;
	ext_mirror_loaded(ext, env_ext, context);
	return 0;
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

	/* Not sieve_storage_create_personal(): read-write, that needs the
	   mail user */
	return sieve_storage_create_auto(svinst, svinst->event,
					 sieve_validator_script_cause(valdtr),
					 SIEVE_STORAGE_TYPE_PERSONAL,
					 SIEVE_STORAGE_FLAG_READWRITE,
					 storage_r, error_code_r, NULL);
}

int ext_standby_personal_storage_open(const struct sieve_runtime_env *renv,
				      struct sieve_storage **storage_r,
				      enum sieve_error *error_code_r)
{
	const struct sieve_execute_env *eenv = renv->exec_env;

	return sieve_storage_create_personal(eenv->svinst,
					     eenv->scriptenv->user,
					     SIEVE_SCRIPT_CAUSE_DELIVERY, 0,
					     storage_r, error_code_r);
}

static const char *
ext_standby_environment_item_get(const struct sieve_runtime_env *renv,
				 const struct sieve_environment_item *item
					ATTR_UNUSED,
				 const char *name)
{
	return ext_standby_environment_get_value(renv, name);
}

static const struct sieve_environment_item_def
ext_standby_environment_items[] = {
	{ .name = EXT_STANDBY_DIRECTION_ITEM,
	  .get_value = ext_standby_environment_item_get },
	{ .name = EXT_STANDBY_RULES_ITEM,
	  .get_value = ext_standby_environment_item_get },
};

void ext_standby_environment_register(const struct sieve_extension *env_ext,
				      const struct sieve_extension *ext,
				      const struct sieve_runtime_env *renv)
{
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(ext_standby_environment_items); i++) {
		sieve_environment_item_register(env_ext, renv->interp, ext,
			&ext_standby_environment_items[i]);
	}
}

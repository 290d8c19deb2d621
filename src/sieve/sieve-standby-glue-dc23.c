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
ext_standby_direction_item_get(const struct sieve_runtime_env *renv,
			       const char *name ATTR_UNUSED)
{
	return ext_standby_direction_get_value(renv);
}

static const char *
ext_standby_rules_item_get(const struct sieve_runtime_env *renv,
			   const char *name ATTR_UNUSED)
{
	return ext_standby_rules_get_value(renv);
}

static const struct sieve_environment_item ext_standby_direction_item = {
	.name = "vnd.standby.direction",
	.get_value = ext_standby_direction_item_get,
};

static const struct sieve_environment_item ext_standby_rules_item = {
	.name = "vnd.standby.rules",
	.get_value = ext_standby_rules_item_get,
};

void ext_standby_environment_items_register(
	const struct sieve_extension *ext,
	const struct sieve_runtime_env *renv)
{
	const struct ext_mirror_context *extctx = ext->context;

	if (extctx == NULL || extctx->env_ext == NULL)
		return;
	sieve_environment_item_register(extctx->env_ext, renv->interp,
					&ext_standby_direction_item);
	sieve_environment_item_register(extctx->env_ext, renv->interp,
					&ext_standby_rules_item);
}

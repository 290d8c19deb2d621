/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Extension vnd.standby.mirror
 * ----------------------------
 *
 * Authors: dovecot-standby authors
 * Specification: vendor-defined; see README.md
 *   mirror [:mailbox <folder: string>] [:flags <flags: string-list>]
 *   environment item "vnd.standby.direction" ("incoming" | "outgoing"),
 *   available when the script also requires "environment".
 * Implementation: full
 * Status: experimental
 *
 */

#include "lib.h"

#include "sieve-common.h"
#include "sieve-extensions.h"
#include "sieve-commands.h"
#include "sieve-validator.h"
#include "sieve-interpreter.h"
#include "sieve-ext-environment.h"

#include "ext-mirror-common.h"

/*
 * Extension
 */

static bool ext_mirror_load(const struct sieve_extension *ext,
			    void **context);
static void ext_mirror_unload(const struct sieve_extension *ext);
static bool ext_mirror_validator_load(const struct sieve_extension *ext,
				      struct sieve_validator *valdtr);
static bool ext_mirror_interpreter_load(const struct sieve_extension *ext,
					const struct sieve_runtime_env *renv,
					sieve_size_t *address);

const struct sieve_extension_def ext_vnd_standby_mirror = {
	.name = "vnd.standby.mirror",
	.load = ext_mirror_load,
	.unload = ext_mirror_unload,
	.validator_load = ext_mirror_validator_load,
	.interpreter_load = ext_mirror_interpreter_load,
	SIEVE_EXT_DEFINE_OPERATION(ext_mirror_operation),
};

static bool ext_mirror_load(const struct sieve_extension *ext,
			    void **context)
{
	struct ext_mirror_context *extctx;

	if (*context != NULL) {
		ext_mirror_unload(ext);
		*context = NULL;
	}

	extctx = i_new(struct ext_mirror_context, 1);
	/* Only look the environment extension up: whether scripts may use
	   it stays the admin's decision (sieve_extensions). */
	extctx->env_ext = sieve_ext_environment_get_extension(ext->svinst);
	*context = extctx;
	return TRUE;
}

static void ext_mirror_unload(const struct sieve_extension *ext)
{
	struct ext_mirror_context *extctx = ext->context;

	i_free(extctx);
}

/*
 * Validator
 */

static bool ext_mirror_validator_load(const struct sieve_extension *ext,
				      struct sieve_validator *valdtr)
{
	sieve_validator_register_command(valdtr, ext, &cmd_mirror);
	return TRUE;
}

/*
 * Interpreter
 */

static bool
ext_mirror_interpreter_load(const struct sieve_extension *ext,
			    const struct sieve_runtime_env *renv,
			    sieve_size_t *address ATTR_UNUSED)
{
	/* Called for every binary that requires vnd.standby.mirror: make
	   "vnd.standby.direction" known to the environment test (used only
	   when the script requires "environment" as well). */
	ext_standby_environment_items_register(ext, renv);
	return TRUE;
}

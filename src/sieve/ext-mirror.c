/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Extension vnd.standby.mirror
 * ----------------------------
 *
 * Authors: dovecot-standby authors
 * Specification: vendor-defined; see README.md
 *   mirror [:mailbox <folder: string>] [:flags <flags: string-list>]
 *   environment items "vnd.standby.direction" ("incoming" | "outgoing")
 *   and "vnd.standby.rules" ("personal" | "default"), available when the
 *   script also requires "environment".
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
#include "sieve-storage.h"

#include "ext-mirror-common.h"
#include "sieve-standby-glue.h"

/*
 * Extension
 */

/* The definition, ext_vnd_standby_mirror, is in sieve-standby-glue-dc*.c:
   the type of its .load differs between the majors. */

void ext_mirror_loaded(const struct sieve_extension *ext,
		       const struct sieve_extension *env_ext, void **context)
{
	struct ext_mirror_context *extctx;

	if (*context != NULL) {
		ext_mirror_unload(ext);
		*context = NULL;
	}

	extctx = i_new(struct ext_mirror_context, 1);
	/* Only look the environment extension up: whether scripts may use
	   it stays the admin's decision (sieve_extensions). */
	extctx->env_ext = env_ext;
	*context = extctx;
}

void ext_mirror_unload(const struct sieve_extension *ext)
{
	struct ext_mirror_context *extctx = ext->context;

	i_free(extctx);
}

/*
 * Validator
 */

/* The wiring script (sieve-scripts/standby-wiring.sieve) is an admin
   script that does `include :optional :personal "standby"'. Pigeonhole
   resolves includes at compile time and, :optional or not, refuses to
   compile when the user's personal storage does not exist yet (a user
   who never used ManageSieve has no ~/sieve) -- and then the default rule
   set would not run either. So when an admin script that requires
   vnd.standby.mirror is compiled (it does so before its include commands
   are validated), make sure the personal storage exists, as ManageSieve
   does at a user's first login. Personal scripts are compiled with
   NOGLOBAL and skip this. Failure is harmless here: the include then
   reports it. */
static void
ext_mirror_personal_storage_ensure(struct sieve_validator *valdtr)
{
	struct sieve_instance *svinst = sieve_validator_svinst(valdtr);
	struct sieve_storage *storage;
	enum sieve_error error;

	/* Opened read-write, the file driver creates its directory (the
	   storage used by delivery cannot be opened read-write: that needs
	   the mail user, which compile time does not have). Legacy sieve_dir
	   setups are left alone. */
	if (ext_mirror_personal_storage_create(valdtr, &storage, &error) < 0) {
		e_debug(svinst->event, "standby: Personal Sieve storage "
			"not available (error %d)", error);
		return;
	}
	if (storage != NULL)
		sieve_storage_unref(&storage);
}

bool ext_mirror_validator_load(const struct sieve_extension *ext,
			       struct sieve_validator *valdtr)
{
	sieve_validator_register_command(valdtr, ext, &cmd_mirror);
	if ((sieve_validator_compile_flags(valdtr) &
	     SIEVE_COMPILE_FLAG_NOGLOBAL) == 0)
		ext_mirror_personal_storage_ensure(valdtr);
	return TRUE;
}

/*
 * Interpreter
 */

bool ext_mirror_interpreter_load(const struct sieve_extension *ext,
				 const struct sieve_runtime_env *renv,
				 sieve_size_t *address ATTR_UNUSED)
{
	/* Called for every binary that requires vnd.standby.mirror: make
	   "vnd.standby.direction" known to the environment test (used only
	   when the script requires "environment" as well). */
	ext_standby_environment_items_register(ext, renv);
	return TRUE;
}

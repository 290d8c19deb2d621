/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"

#include "sieve-common.h"
#include "sieve-extensions.h"
#include "sieve-execute.h"
#include "sieve-runtime.h"
#include "sieve-interpreter.h"
#include "sieve-storage.h"

#include "ext-mirror-common.h"
#include "sieve-standby-glue.h"

/* Which way a message travels, decided from how Sieve is run:

   - outgoing: the script runs on a message without an envelope. That is
     imapsieve (APPEND/COPY into the Sent mailbox), which always executes
     with SIEVE_EXECUTE_FLAG_NO_ENVELOPE.
   - incoming: everything else. That is delivery by LMTP/LDA (env_location
     SIEVE_ENV_LOCATION_MDA, envelope present), and the tools sievec,
     sieve-test and doveadm sieve, which simulate a delivery.

   The environment location alone cannot tell: imapsieve runs with
   SIEVE_ENV_LOCATION_MS, but so do the sieve tools (lib-sieve-tool), and
   "post-delivery" is a delivery phase, not a location. The execute flag
   is what imapsieve sets and delivery never does.

   The same rule fills the direction of queued entries, so the script's
   view and the worker's default folder always agree. */
enum standby_direction
ext_mirror_get_direction(const struct sieve_execute_env *eenv)
{
	if ((eenv->flags & SIEVE_EXECUTE_FLAG_NO_ENVELOPE) != 0)
		return STANDBY_DIRECTION_OUTGOING;
	return STANDBY_DIRECTION_INCOMING;
}

/* vnd.standby.direction */

static const char *
ext_standby_direction_get_value(const struct sieve_runtime_env *renv)
{
	return standby_direction_to_str(
		ext_mirror_get_direction(renv->exec_env));
}

/* vnd.standby.rules

   Which relevance rules apply to this user: "personal" when the user's
   personal Sieve storage (the `sieve' setting, as ManageSieve sees it)
   holds a script named "standby", else "default". The wiring script
   shipped in sieve-scripts/standby-wiring.sieve branches on it:

     if environment :is "vnd.standby.rules" "personal" {
       include :personal "standby";
     } else {
       include :global "standby-default";
     }

   The script need not be the active one: the active script holds the
   user's ordinary filters, "standby" only mirror decisions, so running it
   on sent mail (imapsieve) never files, rejects or answers anything.

   Include alone cannot tell: it is resolved at compile time and has no
   test for "the personal script exists". Looking the script up costs one
   stat() of the script file per evaluation. */

#define STANDBY_RULES_SCRIPT_NAME "standby"

static const char *
ext_standby_rules_get_value(const struct sieve_runtime_env *renv)
{
	struct sieve_instance *svinst = renv->exec_env->svinst;
	struct sieve_storage *storage;
	enum sieve_error error;
	int ret;

	if (ext_standby_personal_storage_open(renv, &storage, &error) < 0) {
		/* No personal storage (none configured, Sieve disabled for
		   the user, or a temporary failure): the default rules */
		e_debug(svinst->event, "standby: No personal Sieve storage "
			"(error %d): using the default rules", error);
		return "default";
	}
	ret = sieve_storage_check_script(storage, STANDBY_RULES_SCRIPT_NAME,
					 &error);
	sieve_storage_unref(&storage);
	if (ret < 0 && error != SIEVE_ERROR_NOT_FOUND) {
		e_debug(svinst->event, "standby: Failed to look up personal "
			"script \"%s\" (error %d): using the default rules",
			STANDBY_RULES_SCRIPT_NAME, error);
	}
	return ret > 0 ? "personal" : "default";
}

const char *
ext_standby_environment_get_value(const struct sieve_runtime_env *renv,
				  const char *name)
{
	if (strcmp(name, EXT_STANDBY_DIRECTION_ITEM) == 0)
		return ext_standby_direction_get_value(renv);
	i_assert(strcmp(name, EXT_STANDBY_RULES_ITEM) == 0);
	return ext_standby_rules_get_value(renv);
}

void ext_standby_environment_items_register(
	const struct sieve_extension *ext,
	const struct sieve_runtime_env *renv)
{
	const struct ext_mirror_context *extctx = ext->context;

	if (extctx == NULL || extctx->env_ext == NULL)
		return;
	ext_standby_environment_register(extctx->env_ext, ext, renv);
}

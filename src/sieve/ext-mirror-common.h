/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef EXT_MIRROR_COMMON_H
#define EXT_MIRROR_COMMON_H

#include "sieve-common.h"
#include "standby-common.h"

struct sieve_execute_env;

/*
 * Extension
 */

struct ext_mirror_context {
	/* The environment extension (NULL when it is not available) */
	const struct sieve_extension *env_ext;
};

/* defined in sieve-standby-glue-dc*.c */
extern const struct sieve_extension_def ext_vnd_standby_mirror;

void ext_mirror_unload(const struct sieve_extension *ext);
bool ext_mirror_validator_load(const struct sieve_extension *ext,
			       struct sieve_validator *valdtr);
bool ext_mirror_interpreter_load(const struct sieve_extension *ext,
				 const struct sieve_runtime_env *renv,
				 sieve_size_t *address);

/*
 * Command and operation
 */

extern const struct sieve_command_def cmd_mirror;
extern const struct sieve_operation_def ext_mirror_operation;

/*
 * Names (shared by compile-time and runtime checks)
 */

/* A standby folder name given with :mailbox. Returns FALSE with *error_r
   describing the problem. */
bool ext_mirror_mailbox_is_valid(const char *mailbox, const char **error_r);
/* An IMAP system flag (except \Recent) or keyword atom. */
bool ext_mirror_flag_is_valid(const char *flag, const char **error_r);

/*
 * Sent mail: the copy the mail plugin took while it was saved
 */

/* A stream over it (the caller's reference), or NULL when there is none
   or the mail plugin is not loaded. */
struct istream *ext_mirror_capture_get(struct mail *mail);

/*
 * Direction (environment item "vnd.standby.direction")
 */

enum standby_direction
ext_mirror_get_direction(const struct sieve_execute_env *eenv);

#define EXT_STANDBY_DIRECTION_ITEM "vnd.standby.direction"
#define EXT_STANDBY_RULES_ITEM "vnd.standby.rules"

/* Make the items known to the environment extension (when it is
   available), for this interpreter. */
void ext_standby_environment_items_register(
	const struct sieve_extension *ext,
	const struct sieve_runtime_env *renv);

#endif

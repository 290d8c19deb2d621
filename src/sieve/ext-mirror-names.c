/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "standby-names.h"

#include "ext-mirror-common.h"

/* Checks of the names a script gives to mirror: standby folders and IMAP
   flags. Used at compile time for literal strings and at runtime for
   strings built from variables. What a name may be is the core's
   (standby-names.h), shared with the readers of the state files; this
   adds what a script's author should do instead. */

bool ext_mirror_mailbox_is_valid(const char *mailbox, const char **error_r)
{
	if (standby_names_mailbox_is_valid(mailbox, error_r))
		return TRUE;
	if (*mailbox == '\0') {
		*error_r = t_strconcat(*error_r,
			" (omit :mailbox for the default folder)", NULL);
	}
	return FALSE;
}

bool ext_mirror_flag_is_valid(const char *flag, const char **error_r)
{
	if (standby_names_flag_is_valid(flag, error_r))
		return TRUE;
	if (strchr(flag, ' ') != NULL) {
		*error_r = t_strconcat(*error_r,
			" (give each flag as its own string)", NULL);
	}
	return FALSE;
}

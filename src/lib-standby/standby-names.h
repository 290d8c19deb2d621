/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_NAMES_H
#define STANDBY_NAMES_H

/* What a standby folder name and an IMAP flag may be: one definition for
   the Sieve mirror command (which refuses the rest) and the readers and
   writers of the state files (which count the rest as bad records). */

/* Standby folder names use '/' as the hierarchy separator; the worker
   translates it to the standby's own. */
#define STANDBY_NAMES_HIERARCHY_SEP '/'
/* Longest standby folder name accepted (bytes, UTF-8). IMAP has no limit,
   but real servers refuse long names (Dovecot: 255 per level); 1024 leaves
   room for a few hierarchy levels and keeps queue headers small. */
#define STANDBY_NAMES_MAILBOX_MAX_LEN 1024
/* Longest keyword accepted (bytes) */
#define STANDBY_NAMES_KEYWORD_MAX_LEN 255

/* A standby folder name: non-empty UTF-8 of at most
   STANDBY_NAMES_MAILBOX_MAX_LEN bytes, no C0 or C1 control or DEL, no
   leading '/', no empty, "." or ".." level. (The default folder, "" in a
   struct standby_entry, is not a name: check it apart.) Returns FALSE
   with *error_r saying what is wrong. */
bool standby_names_mailbox_is_valid(const char *mailbox,
				    const char **error_r);
/* An IMAP system flag a client may set (\Seen, \Answered, \Flagged,
   \Draft, \Deleted, in any case) or a keyword: a non-empty ASCII atom of
   at most STANDBY_NAMES_KEYWORD_MAX_LEN bytes. Neither contains a space,
   so a list of flags can be joined with ' ' and split again. Returns
   FALSE with *error_r saying what is wrong. */
bool standby_names_flag_is_valid(const char *flag, const char **error_r);
/* Each of the NULL-terminated flags (NULL: none) is valid. */
bool standby_names_flags_are_valid(const char *const *flags,
				   const char **error_r);

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_COPY_MAP_H
#define STANDBY_COPY_MAP_H

/* Which standby message is which primary message, learned by restore and
   failback when they saved a copy or found the primary's copy by content
   (size + SHA-256). <state_dir>/copy-map, appended after every batch:
     <tab-escaped standby folder>\t<uidvalidity>\t<standby uid>\t
     <primary mailbox GUID>\t<primary uid>\n
   IMAP never changes the bytes behind a UID (within a UIDVALIDITY, and a
   primary mailbox GUID), so a pair stays true as long as both UIDs exist:
   a rerun skips those messages without fetching or hashing them. It is a
   cache: a lost or partly written file only makes the next run slower. */

struct standby_copy_map_entry {
	uint32_t standby_uid;
	const char *primary_guid;
	uint32_t primary_uid;
};
ARRAY_DEFINE_TYPE(standby_copy_map_entry, struct standby_copy_map_entry);

/* Read the pairs of one folder + UIDVALIDITY. Returns 0 (also when the
   file does not exist) or -1 with *error_r. */
int standby_copy_map_read(const char *state_dir, const char *folder,
			  uint32_t uidvalidity, pool_t pool,
			  ARRAY_TYPE(standby_copy_map_entry) *entries,
			  const char **error_r);
/* Append pairs (one write). */
int standby_copy_map_append(const char *state_dir, const char *folder,
			    uint32_t uidvalidity,
			    const ARRAY_TYPE(standby_copy_map_entry) *entries,
			    const char **error_r);

#endif

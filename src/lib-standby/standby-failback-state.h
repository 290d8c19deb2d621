/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_FAILBACK_STATE_H
#define STANDBY_FAILBACK_STATE_H

/* How far failback got, per standby folder, in <state_dir>/failback:
     <tab-escaped folder>\t<uidvalidity>\t<last UID done>\n
   Rewritten (temp file, fsync, rename) after every batch, so an
   interrupted run resumes after the last batch that was committed to the
   primary. A folder whose UIDVALIDITY changed starts again from UID 1
   (and the primary's content dedupe keeps that from making copies). */
struct standby_failback_state;

/* Returns 0 (also when the file does not exist) or -1 with *error_r. */
int standby_failback_state_read(const char *state_dir,
				struct standby_failback_state **state_r,
				const char **error_r);
void standby_failback_state_free(struct standby_failback_state **state);

/* Last UID done in the folder, 0 when unknown or UIDVALIDITY differs. */
uint32_t standby_failback_state_get(struct standby_failback_state *state,
				    const char *folder, uint32_t uidvalidity);
/* Set and write the file durably. */
int standby_failback_state_set(struct standby_failback_state *state,
			       const char *folder, uint32_t uidvalidity,
			       uint32_t last_uid, const char **error_r);

#endif

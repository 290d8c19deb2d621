/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_STATUS_H
#define STANDBY_STATUS_H

/* Per-user status, rewritten atomically: <state_dir>/status with
   key=value lines (values tab-escaped). Keys used: last_success,
   last_error, last_error_time, queue_write_failures. Changes are made
   under flock() of <state_dir>/status.lock, so that concurrent ones are
   all kept. When the file system is full, the file is overwritten in
   place instead (as long as the text fits in its blocks), so that the
   status can still tell. */
int standby_status_update(const char *state_dir, const char *key,
			  const char *value, const char **error_r);
/* Add one to a counter; with error != NULL set last_error to it and
   last_error_time to now as well. Without the lock (no room for
   status.lock), two writers at the same moment may count once. */
int standby_status_increment(const char *state_dir, const char *key,
			     const char *error, const char **error_r);
/* Read all keys into keyvalues_r (key, value, key, value, ...). Returns
   1, 0 when the file does not exist, or -1 with *error_r. */
int standby_status_read(const char *state_dir, pool_t pool,
			ARRAY_TYPE(const_string) *keyvalues_r,
			const char **error_r);
/* The value of key in what standby_status_read() returned, or NULL */
const char *
standby_status_get(const ARRAY_TYPE(const_string) *keyvalues,
		   const char *key);

#endif

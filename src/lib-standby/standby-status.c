/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strescape.h"
#include "ioloop.h"
#include "standby-file.h"
#include "standby-status.h"

#include <fcntl.h>
#include <sys/file.h>

/* what the status may grow to before reading it is an error */
#define STANDBY_STATUS_MAX_SIZE (1024 * 1024)

int standby_status_read(const char *state_dir, pool_t pool,
			ARRAY_TYPE(const_string) *keyvalues_r,
			const char **error_r)
{
	const char *path = t_strconcat(state_dir, "/status", NULL);
	struct standby_file_lines *lines;
	const char *line, *p, *key, *value;
	int ret;

	ret = standby_file_lines_open(path, STANDBY_STATUS_MAX_SIZE, &lines,
				      error_r);
	if (ret <= 0)
		return ret;
	while ((line = standby_file_lines_next(lines)) != NULL) {
		p = strchr(line, '=');
		if (p == NULL)
			continue;
		key = p_strdup_until(pool, line, p);
		value = p_strdup(pool, t_str_tabunescape(p + 1));
		array_push_back(keyvalues_r, &key);
		array_push_back(keyvalues_r, &value);
	}
	return standby_file_lines_close(&lines, error_r) < 0 ? -1 : 1;
}

const char *
standby_status_get(const ARRAY_TYPE(const_string) *keyvalues,
		   const char *key)
{
	const char *const *kv;
	unsigned int i, count;

	kv = array_get(keyvalues, &count);
	for (i = 0; i + 1 < count; i += 2) {
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	}
	return NULL;
}

/* LMTP, IMAP and the worker's drains all change the status: its lock
   keeps one's read-modify-write from undoing another's. Returns the
   locked fd, or -1 when there is no lock to be had (no room for the lock
   file, say): the status is changed without it then, which at worst
   loses a concurrent change, as before the lock existed. */
static int standby_status_lock(const char *state_dir)
{
	const char *path = t_strconcat(state_dir, "/status.lock", NULL);
	const char *error;
	int fd;

	fd = standby_file_open(path, O_RDWR | O_CREAT, &error);
	if (fd == -1) {
		if (errno != ENOENT && !ENOSPACE(errno))
			i_error("%s", error);
		return -1;
	}
	/* the holders only read and write a few lines */
	if (flock(fd, LOCK_EX) < 0) {
		i_error("flock(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	return fd;
}

static void standby_status_unlock(int *fd)
{
	/* closing releases the lock */
	if (*fd != -1)
		i_close_fd(fd);
}

/* Set the keys of set_kv (key, value, ..., NULL), keep the others. The
   caller holds the status lock (if it could be had). */
static int
standby_status_write(const char *state_dir, const char *const *set_kv,
		     const char **error_r)
{
	const char *path = t_strconcat(state_dir, "/status", NULL);
	ARRAY_TYPE(const_string) kv;
	const char *const *pairs, *const *set, *overwrite_error;
	unsigned int i, count;
	string_t *data = t_str_new(256);

	t_array_init(&kv, 16);
	if (standby_status_read(state_dir, unsafe_data_stack_pool, &kv,
				error_r) < 0)
		return -1;
	pairs = array_get(&kv, &count);
	for (i = 0; i + 1 < count; i += 2) {
		for (set = set_kv; *set != NULL; set += 2) {
			if (strcmp(pairs[i], *set) == 0)
				break;
		}
		if (*set == NULL) {
			str_printfa(data, "%s=%s\n", pairs[i],
				    str_tabescape(pairs[i + 1]));
		}
	}
	for (set = set_kv; *set != NULL; set += 2)
		str_printfa(data, "%s=%s\n", set[0], str_tabescape(set[1]));

	/* each writer has its own temp file; readers see the old or the
	   new file, whole */
	if (standby_file_replace(path, str_data(data), str_len(data),
				 FALSE, FALSE, error_r) == 0)
		return 0;
	if (!ENOSPACE(errno))
		return -1;
	/* The file system is full (the queue itself may have filled it):
	   the status must show that all the same. The file's own blocks
	   take the new text. */
	if (standby_file_overwrite(path, str_data(data), str_len(data),
				   &overwrite_error) < 0) {
		*error_r = t_strdup_printf("%s (overwriting in place: %s)",
					   *error_r, overwrite_error);
		return -1;
	}
	return 0;
}

int standby_status_update(const char *state_dir, const char *key,
			  const char *value, const char **error_r)
{
	const char *set_kv[] = { key, value, NULL };
	int lock_fd, ret;

	lock_fd = standby_status_lock(state_dir);
	ret = standby_status_write(state_dir, set_kv, error_r);
	standby_status_unlock(&lock_fd);
	return ret;
}

int standby_status_increment(const char *state_dir, const char *key,
			     const char *error, const char **error_r)
{
	ARRAY_TYPE(const_string) kv;
	const char *old_value;
	unsigned int value = 0;
	int lock_fd, ret;

	lock_fd = standby_status_lock(state_dir);
	t_array_init(&kv, 16);
	if (standby_status_read(state_dir, unsafe_data_stack_pool, &kv,
				error_r) < 0) {
		standby_status_unlock(&lock_fd);
		return -1;
	}
	old_value = standby_status_get(&kv, key);
	if (old_value != NULL && str_to_uint(old_value, &value) < 0)
		value = 0;
	const char *set_kv[] = {
		key, dec2str(value + 1),
		"last_error", error,
		"last_error_time", dec2str(ioloop_time),
		NULL
	};
	if (error == NULL)
		set_kv[2] = NULL;
	ret = standby_status_write(state_dir, set_kv, error_r);
	standby_status_unlock(&lock_fd);
	return ret;
}

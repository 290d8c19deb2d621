/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "str.h"
#include "strescape.h"
#include "write-full.h"
#include "standby-common.h"
#include "standby-file.h"
#include "standby-missed.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STANDBY_MISSED_VERSION "1"
/* the last field: a line torn inside its flags does not parse */
#define STANDBY_MISSED_END "."
#define STANDBY_MISSED_SHA256_HEX_LEN 64

static const char *standby_missed_path(const char *state_dir)
{
	return t_strconcat(state_dir, "/", STANDBY_MISSED_FILE_NAME, NULL);
}

/* standby_file_open() and flock() it: exclusive for writers */
static int
standby_missed_open(const char *path, int flags, const char **error_r)
{
	int fd;

	fd = standby_file_open(path, flags, error_r);
	if (fd == -1)
		return -1;	/* errno kept: the callers look at ENOENT */
	if (flock(fd, (flags & O_ACCMODE) == O_RDONLY ?
		  LOCK_SH : LOCK_EX) < 0) {
		*error_r = t_strdup_printf("flock(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	return fd;
}

/* The whole file into buf; *used_r: the bytes before the first NUL */
static int
standby_missed_load(int fd, const char *path, buffer_t *buf,
		    size_t *used_r, const char **error_r)
{
	const unsigned char *nul;
	struct stat st;
	ssize_t ret;

	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		return -1;
	}
	buffer_set_used_size(buf, 0);
	ret = pread(fd, buffer_append_space_unsafe(buf, st.st_size),
		    st.st_size, 0);
	if (ret < 0) {
		*error_r = t_strdup_printf("pread(%s) failed: %m", path);
		return -1;
	}
	buffer_set_used_size(buf, ret);
	nul = memchr(buf->data, '\0', buf->used);
	*used_r = nul == NULL ? buf->used :
		(size_t)(nul - (const unsigned char *)buf->data);
	return 0;
}

static int standby_missed_sync_close(int *fd, const char *path, int ret,
				     const char **error_r)
{
	if (ret == 0 && fdatasync(*fd) < 0) {
		*error_r = t_strdup_printf("fdatasync(%s) failed: %m", path);
		ret = -1;
	}
	if (close(*fd) < 0 && ret == 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", path);
		ret = -1;
	}
	*fd = -1;
	return ret;
}

/* Write zeros over [from, to) */
static int standby_missed_zero(int fd, const char *path, uoff_t from,
			       uoff_t to, const char **error_r)
{
	static const unsigned char zeros[4096];

	while (from < to) {
		size_t n = I_MIN(sizeof(zeros), to - from);

		if (pwrite_full(fd, zeros, n, from) < 0) {
			*error_r = t_strdup_printf("pwrite(%s) failed: %m",
						   path);
			return -1;
		}
		from += n;
	}
	return 0;
}

int standby_missed_reserve(const char *state_dir, const char **error_r)
{
	const char *path = standby_missed_path(state_dir);
	struct stat st;
	int fd, ret = 0;

	fd = standby_missed_open(path, O_RDWR | O_CREAT, error_r);
	if (fd == -1 && errno == ENOENT) {
		/* no state directory: nothing was ever queued */
		return 0;
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		ret = -1;
	} else if (st.st_size >= STANDBY_MISSED_RESERVE) {
		i_close_fd(&fd);
		return 0;
	} else {
		/* zeros, not a hole or fallocate(): written blocks are
		   allocated on every file system, tmpfs included */
		ret = standby_missed_zero(fd, path, st.st_size,
					  STANDBY_MISSED_RESERVE, error_r);
	}
	return standby_missed_sync_close(&fd, path, ret, error_r);
}

/* 64 lowercase hex digits, as standby_hash_lf_hex() writes them */
static bool standby_missed_sha256_hex_is_valid(const char *hex)
{
	unsigned int i;

	for (i = 0; hex[i] != '\0'; i++) {
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		      (hex[i] >= 'a' && hex[i] <= 'f')))
			return FALSE;
	}
	return i == STANDBY_MISSED_SHA256_HEX_LEN;
}

/* What a record may hold: the writer writes nothing else and the reader
   counts anything else as bad, so that every record read can be written
   back as it was. The folder and the flags are what the mirror command
   accepts (standby-names.h): they hold no control characters, so their
   tab-escaping changes nothing, and no flag holds a space, the flags'
   separator. A note is checked as the queue reads an entry
   (standby_entry_is_valid()), so that a note requeued is not refused
   there. */
static bool
standby_missed_is_valid(const struct standby_entry *entry,
			const char *sha256_hex, const char **error_r)
{
	if (!standby_missed_sha256_hex_is_valid(sha256_hex)) {
		*error_r = "invalid SHA-256";
		return FALSE;
	}
	return standby_entry_is_valid(entry, error_r);
}

static const char *
standby_missed_format(const struct standby_entry *entry,
		      const char *sha256_hex)
{
	string_t *str = t_str_new(256);

	str_printfa(str, STANDBY_MISSED_VERSION"\t%s\t%"PRIuUOFF_T"\t%s\t%ld"
		    "\t%d\t%s\t%ld\t", entry->id, entry->size, sha256_hex,
		    (long)entry->internal_date, entry->tz_offset_mins,
		    standby_direction_to_str(entry->direction),
		    (long)entry->queued_time);
	str_append_tabescaped(str, entry->mailbox);
	str_append_c(str, '\t');
	if (entry->flags != NULL)
		str_append_tabescaped(str, t_strarray_join(entry->flags, " "));
	str_append(str, "\t"STANDBY_MISSED_END"\n");
	return str_c(str);
}

int standby_missed_add(const char *state_dir,
		       const struct standby_entry *entry,
		       const char *sha256_hex, const char **error_r)
{
	const char *path = standby_missed_path(state_dir);
	const char *line, *error, *ignored;
	size_t used, len;
	buffer_t *buf;
	int fd, ret = 0;

	if (!standby_missed_is_valid(entry, sha256_hex, &error)) {
		*error_r = t_strdup_printf("%s: record not added: %s",
					   path, error);
		return -1;
	}
	line = standby_missed_format(entry, sha256_hex);
	fd = standby_missed_open(path, O_RDWR | O_CREAT, error_r);
	if (fd == -1)
		return -1;
	buf = t_buffer_create(STANDBY_MISSED_RESERVE);
	if (standby_missed_load(fd, path, buf, &used, error_r) < 0)
		return standby_missed_sync_close(&fd, path, -1, error_r);
	if (used > 0 && ((const char *)buf->data)[used - 1] != '\n') {
		/* a record torn by a crash: keep this one apart from it
		   (the reader skips it) */
		line = t_strconcat("\n", line, NULL);
	}
	len = strlen(line);
	if (pwrite_full(fd, line, len, used) < 0) {
		*error_r = t_strdup_printf("pwrite(%s) failed: %m", path);
		/* past the reserve's end a part of the line may have been
		   written: no torn record stays */
		(void)standby_missed_zero(fd, path, used,
					  I_MIN(used + len, buf->used),
					  &ignored);
		if (buf->used < used + len &&
		    ftruncate(fd, I_MAX(buf->used, used)) < 0)
			i_error("ftruncate(%s) failed: %m", path);
		ret = -1;
	}
	return standby_missed_sync_close(&fd, path, ret, error_r);
}

bool standby_missed_any(const char *state_dir)
{
	const char *error;
	unsigned char c;
	int fd;
	bool any;

	fd = standby_file_open(standby_missed_path(state_dir), O_RDONLY,
			       &error);
	if (fd == -1)
		return FALSE;
	any = pread(fd, &c, 1, 0) == 1 && c != '\0';
	i_close_fd(&fd);
	return any;
}

static int
standby_missed_parse(const char *line, pool_t pool,
		     struct standby_missed_record *rec_r)
{
	const char *const *args = t_strsplit_tabescaped(line);
	const char *error;
	long internal_date, queued_time;
	int tz;

	if (str_array_length(args) != 11 ||
	    strcmp(args[0], STANDBY_MISSED_VERSION) != 0 ||
	    strcmp(args[10], STANDBY_MISSED_END) != 0 ||
	    str_to_uoff(args[2], &rec_r->entry.size) < 0 ||
	    str_to_long(args[4], &internal_date) < 0 ||
	    str_to_int(args[5], &tz) < 0 ||
	    standby_direction_parse(args[6], &rec_r->entry.direction) < 0 ||
	    str_to_long(args[7], &queued_time) < 0)
		return -1;
	rec_r->entry.id = p_strdup(pool, args[1]);
	rec_r->sha256_hex = p_strdup(pool, args[3]);
	rec_r->entry.internal_date = internal_date;
	rec_r->entry.tz_offset_mins = tz;
	rec_r->entry.queued_time = queued_time;
	rec_r->entry.mailbox = p_strdup(pool, args[8]);
	rec_r->entry.flags = args[9][0] == '\0' ?
		p_new(pool, const char *, 1) :
		(const char *const *)p_strsplit(pool, args[9], " ");
	if (!standby_missed_is_valid(&rec_r->entry, rec_r->sha256_hex,
				     &error))
		return -1;
	/* and only as the writer writes it: no escapes (nothing in a valid
	   record needs one), no "+1" or "01" */
	rec_r->line = p_strconcat(pool, line, "\n", NULL);
	if (strcmp(standby_missed_format(&rec_r->entry, rec_r->sha256_hex),
		   rec_r->line) != 0)
		return -1;
	return 0;
}

int standby_missed_read(const char *state_dir, pool_t pool,
			ARRAY_TYPE(standby_missed_record) *records,
			size_t *used_r, unsigned int *bad_r,
			const char **error_r)
{
	const char *path = standby_missed_path(state_dir);
	const char *const *lines;
	buffer_t *buf;
	size_t complete;
	int fd, ret = 0;

	*used_r = 0;
	*bad_r = 0;
	fd = standby_missed_open(path, O_RDONLY, error_r);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	buf = t_buffer_create(STANDBY_MISSED_RESERVE);
	if (standby_missed_load(fd, path, buf, used_r, error_r) < 0)
		ret = -1;
	i_close_fd(&fd);
	if (ret < 0)
		return -1;

	complete = *used_r;
	while (complete > 0 &&
	       ((const char *)buf->data)[complete - 1] != '\n')
		complete--;
	if (complete < *used_r) {
		/* the last record was torn by a crash while it was
		   written: its delivery had not succeeded */
		(*bad_r)++;
	}
	lines = t_strsplit(t_strndup(buf->data, complete), "\n");
	for (; *lines != NULL; lines++) {
		struct standby_missed_record rec;

		if (**lines == '\0')
			continue;
		i_zero(&rec);
		if (standby_missed_parse(*lines, pool, &rec) < 0)
			(*bad_r)++;
		else
			array_push_back(records, &rec);
	}
	return 0;
}

int standby_missed_drop(const char *state_dir, size_t used,
			const char *keep, const char **error_r)
{
	const char *path = standby_missed_path(state_dir);
	size_t now_used, keep_len = strlen(keep);
	buffer_t *buf, *content;
	int fd, ret = 0;

	fd = standby_missed_open(path, O_RDWR, error_r);
	if (fd == -1)
		return -1;
	buf = t_buffer_create(STANDBY_MISSED_RESERVE);
	if (standby_missed_load(fd, path, buf, &now_used, error_r) < 0)
		ret = -1;
	else if (now_used < used) {
		/* records are only ever removed here, under the drain's
		   lock: someone else changed the file */
		*error_r = t_strdup_printf("%s: shrank from %zu to %zu bytes "
					   "since it was read", path, used,
					   now_used);
		ret = -1;
	} else {
		/* the kept ones, then those added since the read; the
		   rest of what was there becomes zeros again */
		content = t_buffer_create(keep_len + now_used - used);
		buffer_append(content, keep, keep_len);
		buffer_append(content, CONST_PTR_OFFSET(buf->data, used),
			      now_used - used);
		if (pwrite_full(fd, content->data, content->used, 0) < 0) {
			*error_r = t_strdup_printf("pwrite(%s) failed: %m",
						   path);
			ret = -1;
		} else {
			ret = standby_missed_zero(fd, path, content->used,
						  now_used, error_r);
		}
		if (ret == 0 && buf->used > STANDBY_MISSED_RESERVE &&
		    ftruncate(fd, I_MAX(STANDBY_MISSED_RESERVE,
					content->used)) < 0) {
			*error_r = t_strdup_printf("ftruncate(%s) failed: %m",
						   path);
			ret = -1;
		}
	}
	return standby_missed_sync_close(&fd, path, ret, error_r);
}

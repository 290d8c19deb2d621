/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "hostpid.h"
#include "istream.h"
#include "mkdir-parents.h"
#include "write-full.h"
#include "standby-file.h"

#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#define STANDBY_FILE_MODE 0600
#define STANDBY_FILE_DIR_MODE 0700
/* what a state file's line may take: more is an error */
#define STANDBY_FILE_MAX_LINE (64 * 1024)

struct standby_file_lines {
	struct istream *input;
	char *path;
	uoff_t max_size;
	char *error;
};

/* The one place where state files are opened: what this accepts is what
   the project accepts of a file the user controls. */
int standby_file_open(const char *path, int flags, const char **error_r)
{
	struct stat st;
	int fd, saved_errno;

	/* no waiting for a writer of a FIFO, no following a link to a
	   file of someone else's */
	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK, STANDBY_FILE_MODE);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		i_close_fd(&fd);
		errno = saved_errno;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = t_strdup_printf("open(%s) failed: "
					   "Not a regular file", path);
		i_close_fd(&fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static int standby_file_create(const char *tmp_path, bool mkdir_parent,
			       const char **error_r)
{
	const char *dir, *p;
	int fd, flags = O_WRONLY | O_CREAT | O_TRUNC;

	fd = standby_file_open(tmp_path, flags, error_r);
	if (fd == -1 && errno == ENOENT && mkdir_parent &&
	    (p = strrchr(tmp_path, '/')) != NULL) {
		dir = t_strdup_until(tmp_path, p);
		if (mkdir_parents(dir, STANDBY_FILE_DIR_MODE) < 0 &&
		    errno != EEXIST) {
			*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
			return -1;
		}
		fd = standby_file_open(tmp_path, flags, error_r);
	}
	return fd;
}

int standby_file_replace(const char *path, const void *data, size_t size,
			 bool sync, bool mkdir_parent, const char **error_r)
{
	const char *tmp_path = t_strdup_printf("%s.tmp.%s.%ld", path,
					       my_hostname, (long)getpid());
	int fd, ret = 0, saved_errno = 0;

	fd = standby_file_create(tmp_path, mkdir_parent, error_r);
	if (fd == -1)
		return -1;
	if (write_full(fd, data, size) < 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("write(%s) failed: %m", tmp_path);
		ret = -1;
	} else if (sync && fdatasync(fd) < 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("fdatasync(%s) failed: %m",
					   tmp_path);
		ret = -1;
	}
	if (close(fd) < 0 && ret == 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("close(%s) failed: %m", tmp_path);
		ret = -1;
	}
	if (ret == 0 && rename(tmp_path, path) < 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   tmp_path, path);
		ret = -1;
	}
	if (ret < 0) {
		i_unlink_if_exists(tmp_path);
		errno = saved_errno;
	}
	return ret;
}

int standby_file_overwrite(const char *path, const void *data, size_t size,
			   const char **error_r)
{
	struct stat st;
	int fd, ret = 0;

	fd = standby_file_open(path, O_WRONLY, error_r);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		ret = -1;
	} else if ((uoff_t)st.st_blocks * 512 < size) {
		/* it would need a new block, which is not there either */
		*error_r = t_strdup_printf(
			"%s: %zu bytes do not fit in its blocks",
			path, size);
		errno = ENOSPC;
		ret = -1;
	} else if (pwrite_full(fd, data, size, 0) < 0) {
		*error_r = t_strdup_printf("pwrite(%s) failed: %m", path);
		ret = -1;
	} else if (ftruncate(fd, size) < 0) {
		*error_r = t_strdup_printf("ftruncate(%s) failed: %m", path);
		ret = -1;
	}
	if (close(fd) < 0 && ret == 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", path);
		ret = -1;
	}
	return ret;
}

int standby_file_lines_open(const char *path, uoff_t max_size,
			    struct standby_file_lines **lines_r,
			    const char **error_r)
{
	struct standby_file_lines *lines;
	int fd;

	*lines_r = NULL;
	fd = standby_file_open(path, O_RDONLY, error_r);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	lines = i_new(struct standby_file_lines, 1);
	lines->input = i_stream_create_fd_autoclose(&fd, STANDBY_FILE_MAX_LINE);
	lines->path = i_strdup(path);
	lines->max_size = max_size;
	*lines_r = lines;
	return 1;
}

const char *standby_file_lines_next(struct standby_file_lines *lines)
{
	struct istream *input = lines->input;
	const char *line;

	if (lines->error != NULL)
		return NULL;
	line = i_stream_read_next_line(input);
	if (line != NULL) {
		if (lines->max_size == 0 || input->v_offset <= lines->max_size)
			return line;
		lines->error = i_strdup_printf(
			"%s: larger than %"PRIuUOFF_T" bytes",
			lines->path, lines->max_size);
	} else if (input->stream_errno != 0) {
		/* also a line longer than STANDBY_FILE_MAX_LINE */
		lines->error = i_strdup_printf("read(%s) failed: %s",
					       lines->path,
					       i_stream_get_error(input));
	}
	/* (an unterminated last line is a torn append: not returned) */
	return NULL;
}

int standby_file_lines_close(struct standby_file_lines **_lines,
			     const char **error_r)
{
	struct standby_file_lines *lines = *_lines;
	int ret = 0;

	if (lines == NULL)
		return 0;
	*_lines = NULL;
	if (lines->error != NULL) {
		*error_r = t_strdup(lines->error);
		ret = -1;
	}
	i_stream_unref(&lines->input);
	i_free(lines->error);
	i_free(lines->path);
	i_free(lines);
	return ret;
}

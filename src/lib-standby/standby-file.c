/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "hostpid.h"
#include "mkdir-parents.h"
#include "write-full.h"
#include "standby-file.h"

#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#define STANDBY_FILE_MODE 0600
#define STANDBY_FILE_DIR_MODE 0700

static int standby_file_create(const char *tmp_path, bool mkdir_parent,
			       const char **error_r)
{
	const char *dir, *p;
	int fd;

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, STANDBY_FILE_MODE);
	if (fd == -1 && errno == ENOENT && mkdir_parent &&
	    (p = strrchr(tmp_path, '/')) != NULL) {
		dir = t_strdup_until(tmp_path, p);
		if (mkdir_parents(dir, STANDBY_FILE_DIR_MODE) < 0 &&
		    errno != EEXIST) {
			*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
			return -1;
		}
		fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC,
			  STANDBY_FILE_MODE);
	}
	if (fd == -1)
		*error_r = t_strdup_printf("open(%s) failed: %m", tmp_path);
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

	fd = open(path, O_WRONLY);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
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

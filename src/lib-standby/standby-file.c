/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "hostpid.h"
#include "mkdir-parents.h"
#include "write-full.h"
#include "standby-file.h"

#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>

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
	int fd, ret = 0;

	fd = standby_file_create(tmp_path, mkdir_parent, error_r);
	if (fd == -1)
		return -1;
	if (write_full(fd, data, size) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", tmp_path);
		ret = -1;
	} else if (sync && fdatasync(fd) < 0) {
		*error_r = t_strdup_printf("fdatasync(%s) failed: %m",
					   tmp_path);
		ret = -1;
	}
	if (close(fd) < 0 && ret == 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", tmp_path);
		ret = -1;
	}
	if (ret == 0 && rename(tmp_path, path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   tmp_path, path);
		ret = -1;
	}
	if (ret < 0)
		i_unlink_if_exists(tmp_path);
	return ret;
}

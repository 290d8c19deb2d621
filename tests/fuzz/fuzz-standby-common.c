/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "unlink-directory.h"
#include "write-full.h"
#include "fuzz-standby-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

static struct ioloop *fuzz_ioloop;
static ARRAY_TYPE(const_string) fuzz_tmpdirs;

static void ATTR_FORMAT(2, 0)
fuzz_standby_log_handler(const struct failure_context *ctx ATTR_UNUSED,
			 const char *format ATTR_UNUSED,
			 va_list args ATTR_UNUSED)
{
}

static void fuzz_standby_cleanup(void)
{
	const char *dir, *error;

	if (!array_is_created(&fuzz_tmpdirs))
		return;
	array_foreach_elem(&fuzz_tmpdirs, dir) {
		if (unlink_directory(dir, UNLINK_DIRECTORY_FLAG_RMDIR,
				     &error) < 0)
			fprintf(stderr, "%s\n", error);
	}
}

void fuzz_standby_quiet(void)
{
	if (getenv("FUZZ_VERBOSE") == NULL) {
		i_set_info_handler(fuzz_standby_log_handler);
		i_set_error_handler(fuzz_standby_log_handler);
		i_set_debug_handler(fuzz_standby_log_handler);
	}
}

void fuzz_standby_init(void)
{
	if (fuzz_ioloop != NULL)
		return;
	lib_init();
	fuzz_standby_quiet();
	fuzz_ioloop = io_loop_create();
}

const char *fuzz_standby_mkdtemp(const char *prefix)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[PATH_MAX], *dir;

	/* libc only: Dovecot's data stack may not exist yet */
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (i_snprintf(path, sizeof(path), "%s/%s.XXXXXX",
		       tmpdir, prefix) < 0 || mkdtemp(path) == NULL) {
		fprintf(stderr, "mkdtemp(%s) failed: %s\n",
			path, strerror(errno));
		exit(1);
	}
	dir = i_strdup(path);
	if (!array_is_created(&fuzz_tmpdirs)) {
		i_array_init(&fuzz_tmpdirs, 4);
		atexit(fuzz_standby_cleanup);
	}
	array_push_back(&fuzz_tmpdirs, (const char **)&dir);
	return dir;
}

void fuzz_standby_write_file(const char *path, const void *data, size_t size)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1)
		i_fatal("open(%s) failed: %m", path);
	if (write_full(fd, data, size) < 0)
		i_fatal("write(%s) failed: %m", path);
	i_close_fd(&fd);
}

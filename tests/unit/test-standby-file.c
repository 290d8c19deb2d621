/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "write-full.h"
#include "unlink-directory.h"
#include "test-common.h"
#include "standby-file.h"
#include "standby-ledger.h"
#include "standby-status.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

static char *test_dir;

static const char *test_path(const char *name)
{
	return t_strconcat(test_dir, "/", name, NULL);
}

static void test_write(const char *name, const void *data, size_t size)
{
	const char *path = test_path(name);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1)
		i_fatal("open(%s) failed: %m", path);
	if (write_full(fd, data, size) < 0)
		i_fatal("write(%s) failed: %m", path);
	i_close_fd(&fd);
}

static bool test_has_prefix(const char *str, const char *prefix)
{
	return str != NULL && strncmp(str, prefix, strlen(prefix)) == 0;
}

/* All lines of name joined with '|', or NULL when reading failed
   (*error_r then) */
static const char *
test_read_lines(const char *name, uoff_t max_size, int *open_ret_r,
		const char **error_r)
{
	struct standby_file_lines *lines;
	string_t *str = t_str_new(64);
	const char *line;

	*open_ret_r = standby_file_lines_open(test_path(name), max_size,
					      &lines, error_r);
	if (*open_ret_r < 0)
		return NULL;
	if (*open_ret_r == 0) {
		test_assert(lines == NULL);
		return "";
	}
	while ((line = standby_file_lines_next(lines)) != NULL) {
		if (str_len(str) > 0)
			str_append_c(str, '|');
		str_append(str, line);
	}
	if (standby_file_lines_close(&lines, error_r) < 0)
		return NULL;
	test_assert(lines == NULL);
	return str_c(str);
}

static void test_standby_file_lines(void)
{
	const char *error = NULL;
	int ret;

	test_begin("file lines: read, no file, torn last line");
	test_assert_strcmp(test_read_lines("none", 0, &ret, &error), "");
	test_assert(ret == 0);

	test_write("lines", "a\tb\n\nc\n", 7);
	test_assert_strcmp(test_read_lines("lines", 0, &ret, &error),
			   "a\tb||c");
	test_assert(ret == 1);

	/* an append torn by a crash: the unterminated tail is not a line */
	test_write("torn", "one\ntw", 6);
	test_assert_strcmp(test_read_lines("torn", 0, &ret, &error), "one");

	test_write("empty", "", 0);
	test_assert_strcmp(test_read_lines("empty", 0, &ret, &error), "");
	test_assert(ret == 1);
	test_end();
}

static void test_standby_file_lines_caps(void)
{
	string_t *data = t_str_new(70 * 1024);
	const char *error = NULL;
	int ret;

	test_begin("file lines: a line or a file over the cap fails");
	/* the cap is on the file, not on what was returned so far */
	test_write("small", "12345\n67890\n", 12);
	test_assert_strcmp(test_read_lines("small", 12, &ret, &error),
			   "12345|67890");
	test_assert(test_read_lines("small", 11, &ret, &error) == NULL);
	test_assert(ret == 1);
	test_assert(strstr(error, "larger than 11 bytes") != NULL);
	test_assert(strstr(error, test_path("small")) != NULL);

	str_append(data, "first\n");
	while (str_len(data) < 66 * 1024)
		str_append_c(data, 'x');
	str_append(data, "\nlast\n");
	test_write("long", str_data(data), str_len(data));
	error = NULL;
	test_assert(test_read_lines("long", 0, &ret, &error) == NULL);
	test_assert(test_has_prefix(error, t_strdup_printf(
		"read(%s) failed: ", test_path("long"))));
	test_end();
}

static void test_standby_file_open_refuses(void)
{
	const char *path, *error = NULL;
	int ret, fd;

	test_begin("file open: no FIFO, no link, no directory");
	/* a FIFO neither blocks the open nor is read */
	path = test_path("fifo");
	test_assert(mkfifo(path, 0600) == 0);
	test_assert(test_read_lines("fifo", 0, &ret, &error) == NULL);
	test_assert(ret == -1);
	test_assert_strcmp(error, t_strdup_printf(
		"open(%s) failed: Not a regular file", path));

	/* a link, even to a file that is fine, is not followed */
	test_write("target", "secret\n", 7);
	test_assert(symlink(test_path("target"), test_path("link")) == 0);
	test_assert(test_read_lines("link", 0, &ret, &error) == NULL);
	test_assert(ret == -1);
	test_assert(test_has_prefix(error, t_strdup_printf(
		"open(%s) failed: ", test_path("link"))));
	fd = standby_file_open(test_path("link"), O_WRONLY | O_APPEND,
			       &error);
	test_assert(fd == -1 && errno == ELOOP);

	test_assert(mkdir(test_path("dir"), 0700) == 0);
	test_assert(test_read_lines("dir", 0, &ret, &error) == NULL);
	test_assert(ret == -1);

	/* and a missing file is ENOENT, for the callers that create it */
	fd = standby_file_open(test_path("none"), O_RDONLY, &error);
	test_assert(fd == -1 && errno == ENOENT);
	fd = standby_file_open(test_path("new"), O_WRONLY | O_CREAT, &error);
	test_assert(fd != -1);
	if (fd != -1)
		i_close_fd(&fd);
	test_end();
}

static void test_standby_ledger_count(void)
{
	const char *ledger = "id1\tINBOX\t1\t2\t3\tab\t4\tin\n"
		"broken\n\ntorn";
	const char *dir, *error = NULL;
	uintmax_t count = 99;

	test_begin("ledger: count lines, malformed ones too");
	dir = test_path("ledger-test");
	test_assert(mkdir(dir, 0700) == 0);
	test_assert(standby_ledger_count(dir, &count, &error) == 0);
	test_assert(count == 0);
	test_write("ledger-test/ledger", ledger, strlen(ledger));
	test_assert(standby_ledger_count(dir, &count, &error) == 0);
	test_assert(count == 3);
	test_end();
}

static void test_standby_status_get(void)
{
	ARRAY_TYPE(const_string) kv;
	const char *dir, *error = NULL;

	test_begin("status: read and get keys");
	dir = test_path("status-test");
	test_assert(mkdir(dir, 0700) == 0);
	t_array_init(&kv, 8);
	test_assert(standby_status_read(dir, pool_datastack_create(), &kv,
					&error) == 0);
	test_assert(standby_status_get(&kv, "last_error") == NULL);
	test_assert(standby_status_update(dir, "last_error", "a\tb\nc",
					  &error) == 0);
	test_assert(standby_status_increment(dir, "queue_write_failures",
					     NULL, &error) == 0);
	test_assert(standby_status_read(dir, pool_datastack_create(), &kv,
					&error) == 1);
	test_assert_strcmp(standby_status_get(&kv, "last_error"), "a\tb\nc");
	test_assert_strcmp(standby_status_get(&kv, "queue_write_failures"),
			   "1");
	test_assert(standby_status_get(&kv, "last_success") == NULL);
	test_end();
}

static void test_setup(void)
{
	test_dir = i_strdup_printf("/tmp/test-standby-file.%ld",
				   (long)getpid());
	if (mkdir(test_dir, 0700) < 0)
		i_fatal("mkdir(%s) failed: %m", test_dir);
}

static void test_cleanup(void)
{
	const char *error;

	(void)unlink_directory(test_dir, UNLINK_DIRECTORY_FLAG_RMDIR, &error);
	i_free(test_dir);
}

int main(void)
{
	static void (*const test_functions[])(void) = {
		test_setup,
		test_standby_file_lines,
		test_standby_file_lines_caps,
		test_standby_file_open_refuses,
		test_standby_ledger_count,
		test_standby_status_get,
		test_cleanup,
		NULL
	};

	return test_run(test_functions);
}

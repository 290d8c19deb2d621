/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ioloop.h"
#include "istream.h"
#include "unlink-directory.h"
#include "test-common.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-missed.h"
#include "standby-names.h"
#include "standby-ledger.h"
#include "standby-status.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char *test_dir;

static const char *test_add(struct standby_queue *queue, const char *body,
			    const char *mailbox, const char *const *flags)
{
	struct standby_entry entry;
	struct istream *input;
	const char *error;
	int ret;

	i_zero(&entry);
	entry.mailbox = mailbox;
	entry.flags = flags;
	entry.internal_date = 1700000000;
	entry.tz_offset_mins = 60;
	entry.queued_time = ioloop_time;
	entry.direction = STANDBY_DIRECTION_INCOMING;
	entry.user = "alice\t@example.com";
	input = i_stream_create_from_data(body, strlen(body));
	ret = standby_queue_add(queue, &entry, input, &error);
	i_stream_unref(&input);
	test_assert(ret == 0);
	test_assert(entry.size == (uoff_t)strlen(body));
	return ret == 0 ? t_strdup(entry.id) : NULL;
}

static const char *test_read_body(struct standby_queue_entry *qentry)
{
	struct istream *input = standby_queue_entry_get_body(qentry);
	string_t *str = t_str_new(128);
	const unsigned char *data;
	size_t size;

	while (i_stream_read_more(input, &data, &size) > 0) {
		str_append_data(str, data, size);
		i_stream_skip(input, size);
	}
	test_assert(input->stream_errno == 0);
	i_stream_unref(&input);
	return str_c(str);
}

static void test_standby_queue_roundtrip(void)
{
	static const char *const flags[] = { "\\Seen", "$Order", NULL };
	/* NUL byte, bare LF, 8-bit: all must come back unchanged */
	static const char body[] = "Subject: Auftr\xc3\xa4ge\n\nline1\r\nend";
	struct standby_queue *queue;
	struct standby_queue_entry *qentry;
	const char *id, *error;
	pool_t pool = pool_alloconly_create("test", 1024);

	test_begin("standby queue: entry round trip");
	queue = standby_queue_init(test_dir, NULL);
	id = test_add(queue, body, "Auftr\xc3\xa4ge/x", flags);
	test_assert(standby_queue_open(queue, id, pool, &qentry, &error) == 1);
	test_assert_strcmp(qentry->entry->id, id);
	test_assert_strcmp(qentry->entry->mailbox, "Auftr\xc3\xa4ge/x");
	test_assert_strcmp(qentry->entry->flags[0], "\\Seen");
	test_assert_strcmp(qentry->entry->flags[1], "$Order");
	test_assert(qentry->entry->flags[2] == NULL);
	test_assert(qentry->entry->internal_date == 1700000000);
	test_assert(qentry->entry->tz_offset_mins == 60);
	test_assert(qentry->entry->direction == STANDBY_DIRECTION_INCOMING);
	test_assert_strcmp(qentry->entry->user, "alice\t@example.com");
	test_assert_strcmp(test_read_body(qentry), body);
	test_assert(!qentry->uncertain);
	standby_queue_entry_close(&qentry);

	/* the file is only readable by its owner */
	struct stat st;
	test_assert(stat(t_strdup_printf("%s/queue/%s", test_dir, id),
			 &st) == 0 && (st.st_mode & 0077) == 0);
	/* nothing is left behind in tmp/ */
	test_assert(rmdir(t_strdup_printf("%s/tmp", test_dir)) == 0);
	test_assert(standby_queue_remove_id(queue, id, &error) == 0);
	test_assert(standby_queue_open(queue, id, pool, &qentry, &error) == 0);
	standby_queue_deinit(&queue);
	pool_unref(&pool);
	test_end();
}

/* The missed list queues a message under the id of its record: a part of
   it left in tmp/ by a drain killed while writing it does not stop it. */
static void test_standby_queue_given_id(void)
{
	struct standby_queue *queue;
	struct standby_queue_entry *qentry;
	struct standby_entry entry;
	struct istream *input;
	const char *id = standby_entry_id_generate(), *tmp_path, *error;
	pool_t pool = pool_alloconly_create("test", 1024);
	int fd;

	test_begin("standby queue: an entry under a given id");
	queue = standby_queue_init(test_dir, NULL);
	(void)test_add(queue, "first", "", NULL);
	tmp_path = t_strdup_printf("%s/tmp/%s", test_dir, id);
	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	test_assert(fd != -1 && write(fd, "torn", 4) == 4);
	i_close_fd(&fd);

	i_zero(&entry);
	entry.id = id;
	entry.mailbox = "Orders";
	entry.queued_time = ioloop_time;
	entry.user = "alice";
	input = i_stream_create_from_data("body", 4);
	test_assert(standby_queue_add(queue, &entry, input, &error) == 0);
	i_stream_unref(&input);
	test_assert_strcmp(entry.id, id);
	test_assert(access(tmp_path, F_OK) < 0 && errno == ENOENT);
	test_assert(standby_queue_open(queue, id, pool, &qentry, &error) == 1);
	test_assert_strcmp(qentry->entry->mailbox, "Orders");
	test_assert_strcmp(test_read_body(qentry), "body");
	standby_queue_entry_close(&qentry);
	test_assert(standby_queue_remove_id(queue, id, &error) == 0);
	standby_queue_deinit(&queue);
	pool_unref(&pool);
	test_end();
}

static void test_corrupt(struct standby_queue *queue, const char *id,
			 void (*corrupt)(int fd, off_t size), const char *what)
{
	const char *path = t_strdup_printf("%s/queue/%s", test_dir, id);
	struct standby_queue_entry *qentry;
	const char *error = NULL;
	struct stat st;
	pool_t pool = pool_alloconly_create("test", 1024);
	int fd;

	fd = open(path, O_RDWR);
	i_assert(fd != -1 && fstat(fd, &st) == 0);
	corrupt(fd, st.st_size);
	i_close_fd(&fd);
	test_assert(standby_queue_open(queue, id, pool, &qentry, &error) == -1);
	test_assert(error != NULL && strstr(error, what) != NULL);
	pool_unref(&pool);
}

static void corrupt_truncate_body(int fd, off_t size)
{
	i_assert(ftruncate(fd, size - 20) == 0);
}

static void corrupt_truncate_header(int fd, off_t size ATTR_UNUSED)
{
	i_assert(ftruncate(fd, 30) == 0);
}

/* a crash right after the entry was renamed into the queue, before its
   data reached the disk */
static void corrupt_empty(int fd, off_t size ATTR_UNUSED)
{
	i_assert(ftruncate(fd, 0) == 0);
}

static void corrupt_end_record(int fd, off_t size)
{
	i_assert(pwrite(fd, "X", 1, size - 3) == 1);
}

static void corrupt_magic(int fd, off_t size ATTR_UNUSED)
{
	i_assert(pwrite(fd, "XXXX", 4, 0) == 4);
}

static void corrupt_append(int fd, off_t size)
{
	i_assert(pwrite(fd, "more", 4, size) == 4);
}

static void test_standby_queue_torn(void)
{
	static const char body[] =
		"From: a@example.com\r\nSubject: torn\r\n\r\n"
		"a body that is long enough to be cut in the middle\r\n";
	struct standby_queue *queue;

	test_begin("standby queue: torn entries are detected");
	queue = standby_queue_init(test_dir, NULL);
	test_corrupt(queue, test_add(queue, body, "", NULL),
		     corrupt_truncate_body, "torn entry");
	test_corrupt(queue, test_add(queue, body, "", NULL),
		     corrupt_truncate_header, "truncated header");
	test_corrupt(queue, test_add(queue, body, "", NULL),
		     corrupt_empty, "");
	test_corrupt(queue, test_add(queue, body, "", NULL),
		     corrupt_end_record, "no END record");
	test_corrupt(queue, test_add(queue, body, "", NULL),
		     corrupt_magic, "bad magic");
	test_corrupt(queue, test_add(queue, body, "", NULL),
		     corrupt_append, "torn entry");
	standby_queue_deinit(&queue);
	test_end();
}

static int
test_open_dated(struct standby_queue *queue, time_t internal_date,
		time_t queued_time, const char **error_r)
{
	struct standby_queue_entry *qentry;
	struct standby_entry entry;
	struct istream *input;
	const char *error;
	pool_t pool = pool_alloconly_create("test", 1024);
	int ret;

	i_zero(&entry);
	entry.mailbox = "";
	entry.internal_date = internal_date;
	entry.queued_time = queued_time;
	input = i_stream_create_from_data("body\n", 5);
	ret = standby_queue_add(queue, &entry, input, &error);
	i_stream_unref(&input);
	i_assert(ret == 0);
	*error_r = NULL;
	ret = standby_queue_open(queue, entry.id, pool, &qentry, error_r);
	if (ret > 0)
		standby_queue_entry_close(&qentry);
	pool_unref(&pool);
	i_assert(standby_queue_remove_id(queue, entry.id, &error) == 0);
	return ret;
}

static const char *test_fill(size_t len, char c)
{
	char *str = t_malloc0(len + 1);

	memset(str, c, len);
	return str;
}

/* Write an entry file by hand into queue/: the magic, a new id, fields
   (whole lines) and a body, with a matching size and END record. Returns
   the id. */
static const char *test_write_raw(const char *fields, const char *body)
{
	const char *id = standby_entry_id_generate();
	const char *path = t_strdup_printf("%s/queue/%s", test_dir, id);
	const char *data;
	int fd;

	data = t_strdup_printf("DSQ1\nid=%s\n%ssize=%zu\n\n%s\nEND %s\n",
			       id, fields, strlen(body), body, id);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	i_assert(fd != -1);
	i_assert(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
	i_close_fd(&fd);
	return id;
}

/* Open a file written by test_write_raw(); 1 = read, -1 = refused with
   *error_r. *nflags_r = the number of flags read. */
static int
test_open_raw(struct standby_queue *queue, const char *fields,
	      unsigned int *nflags_r, const char **error_r)
{
	struct standby_queue_entry *qentry;
	const char *id = test_write_raw(fields, "body\n"), *error;
	pool_t pool = pool_alloconly_create("test", 1024);
	int ret;

	*error_r = NULL;
	*nflags_r = 0;
	ret = standby_queue_open(queue, id, pool, &qentry, error_r);
	if (ret > 0) {
		*nflags_r = str_array_length(qentry->entry->flags);
		standby_queue_entry_close(&qentry);
	}
	if (*error_r != NULL)
		*error_r = t_strdup(*error_r);
	pool_unref(&pool);
	i_assert(standby_queue_remove_id(queue, id, &error) == 0);
	return ret;
}

static bool
test_raw_refused(struct standby_queue *queue, const char *fields,
		 const char *what)
{
	const char *error;
	unsigned int nflags;

	return test_open_raw(queue, fields, &nflags, &error) == -1 &&
		error != NULL && strstr(error, what) != NULL;
}

/* Out-of-range dates: the writer refuses to write them, the reader
   refuses them in a file written by hand. */
static bool
test_dated_refused(struct standby_queue *queue, time_t internal_date,
		   time_t queued_time, const char *what)
{
	struct standby_entry entry;
	struct istream *input;
	const char *error = NULL;
	int ret;

	i_zero(&entry);
	entry.mailbox = "";
	entry.internal_date = internal_date;
	entry.queued_time = queued_time;
	input = i_stream_create_from_data("body\n", 5);
	ret = standby_queue_add(queue, &entry, input, &error);
	i_stream_unref(&input);
	if (ret != -1 || error == NULL || strstr(error, what) == NULL)
		return FALSE;
	return test_raw_refused(queue, t_strdup_printf(
		"mailbox=\ninternaldate=%lld\nqueued=%lld\n",
		(long long)internal_date, (long long)queued_time), what);
}

static void test_standby_queue_dates(void)
{
	/* 9999-12-31 23:59:59 UTC */
	const time_t max_time = 253402300799LL;
	struct standby_queue *queue;
	const char *error;

	/* Found by fuzzing: an entry whose date is beyond what gmtime()
	   and an IMAP date-time can hold crashed the drain when it wrote
	   the APPEND's date; a very negative queue time overflowed the
	   backoff arithmetic. Such a file is corrupted: refused. */
	test_begin("standby queue: dates out of range are refused");
	test_assert(max_time == STANDBY_ENTRY_MAX_TIME);
	queue = standby_queue_init(test_dir, NULL);
	test_assert(test_open_dated(queue, max_time, ioloop_time,
				    &error) == 1);
	test_assert(test_open_dated(queue, (time_t)-1, max_time,
				    &error) == 1);
	test_assert(test_dated_refused(queue, max_time + 1, ioloop_time,
				       "invalid internaldate"));
	test_assert(test_dated_refused(queue, -2, ioloop_time,
				       "invalid internaldate"));
	test_assert(test_dated_refused(queue, 1700000000, max_time + 1,
				       "invalid queued"));
	test_assert(test_dated_refused(queue, 1700000000, -1,
				       "invalid queued"));
	test_assert(test_dated_refused(queue, 1700000000, INT64_MIN,
				       "invalid queued"));
	standby_queue_deinit(&queue);
	test_end();
}

/* Issue 19, the queue's side: an entry is read only as its writer would
   write it. A flags field "\x01" "0 x" (an escaped empty flag, then "x")
   was read as two flags, written back as " x" and read again as one. */
static void test_standby_queue_names(void)
{
	static const char *const bad_flags[][3] = {
		{ "", "x", NULL }, { "a b", NULL, NULL },
		{ "\\Recent", NULL, NULL },
		{ "Gr\xc3\xb6\xc3\x9f" "e", NULL, NULL },
	};
	static const char *const bad_folders[] = {
		"Orders\tx", "a//b", "a/../b", "/Orders", "\xff", NULL
	};
	static const char *const bad_flag_fields[] = {
		"\x01" "0 x", "\x01" "0", "a\x01" "0b", "\\Recent", "a(b",
		"Gr\xc3\xb6\xc3\x9f" "e", "a\x01tb", NULL
	};
	static const char *const bad_folder_fields[] = {
		"Orders\x01tx", "a//b", "a/../b", "/Orders", "\xff",
		"Orders\x01" "1x", NULL
	};
	const char *fields, *error;
	ARRAY_TYPE(const_string) many;
	struct standby_queue *queue;
	struct standby_entry entry;
	struct istream *input;
	unsigned int i, nflags;
	int ret;

	test_begin("standby queue: only entries that the writer writes");
	queue = standby_queue_init(test_dir, NULL);

	/* the reader refuses a file written by hand with what the writer
	   would not write */
	fields = "mailbox=\nflags=\x01" "0 x\nqueued=1700000000\n";
	ret = test_open_raw(queue, fields, &nflags, &error);
	test_assert(ret == -1 && error != NULL &&
		    strstr(error, "invalid flags") != NULL);
	for (i = 0; bad_flag_fields[i] != NULL; i++) {
		fields = t_strdup_printf("mailbox=Orders\nflags=%s\n"
					 "queued=1700000000\n",
					 bad_flag_fields[i]);
		test_assert_idx(test_raw_refused(queue, fields,
						 "invalid flags"), i);
	}
	for (i = 0; bad_folder_fields[i] != NULL; i++) {
		fields = t_strdup_printf("mailbox=%s\nqueued=1700000000\n",
					 bad_folder_fields[i]);
		test_assert_idx(test_raw_refused(queue, fields,
						 "invalid mailbox"), i);
	}
	test_assert(test_raw_refused(queue, "mailbox=\nqueued=1700000000\n"
				     "tz=1441\n", "invalid tz"));
	/* what it does write is read */
	fields = "mailbox=Orders/2026\nflags=\\Seen $Kw\nqueued=1700000000\n"
		"tz=-1440\n";
	test_assert(test_open_raw(queue, fields, &nflags, &error) == 1 &&
		    nflags == 2);

	/* the writer refuses what the reader would refuse */
	for (i = 0; i < N_ELEMENTS(bad_flags); i++) {
		i_zero(&entry);
		entry.mailbox = "Orders";
		entry.flags = bad_flags[i];
		entry.queued_time = ioloop_time;
		input = i_stream_create_from_data("body\n", 5);
		error = NULL;
		test_assert_idx(standby_queue_add(queue, &entry, input,
						  &error) == -1 &&
				error != NULL &&
				strstr(error, "invalid flags") != NULL, i);
		i_stream_unref(&input);
	}
	for (i = 0; bad_folders[i] != NULL; i++) {
		i_zero(&entry);
		entry.mailbox = bad_folders[i];
		entry.queued_time = ioloop_time;
		input = i_stream_create_from_data("body\n", 5);
		error = NULL;
		test_assert_idx(standby_queue_add(queue, &entry, input,
						  &error) == -1 &&
				error != NULL &&
				strstr(error, "invalid mailbox") != NULL, i);
		i_stream_unref(&input);
	}
	i_zero(&entry);
	entry.mailbox = "";
	entry.queued_time = ioloop_time;
	entry.tz_offset_mins = STANDBY_ENTRY_MAX_TZ_MINS + 1;
	input = i_stream_create_from_data("body\n", 5);
	test_assert(standby_queue_add(queue, &entry, input, &error) == -1 &&
		    strstr(error, "invalid tz") != NULL);
	i_stream_unref(&input);

	/* a header too long to be read is not written; one just short
	   enough is written and read back (250 keywords of 255 bytes:
	   about 64,000 bytes; 260: more than 64 KiB) */
	t_array_init(&many, 260);
	for (i = 0; i < 260; i++) {
		const char *kw = t_strdup_printf("%03u%s", i,
			test_fill(STANDBY_NAMES_KEYWORD_MAX_LEN - 3, 'k'));

		array_push_back(&many, &kw);
	}
	array_append_zero(&many);
	i_zero(&entry);
	entry.mailbox = "";
	entry.queued_time = ioloop_time;
	entry.flags = array_front(&many);
	input = i_stream_create_from_data("body\n", 5);
	test_assert(standby_queue_add(queue, &entry, input, &error) == -1 &&
		    strstr(error, "header too long") != NULL);
	i_stream_unref(&input);
	array_idx_clear(&many, 250);
	entry.id = NULL;
	input = i_stream_create_from_data("body\n", 5);
	test_assert(standby_queue_add(queue, &entry, input, &error) == 0);
	i_stream_unref(&input);
	if (entry.id != NULL) {
		struct standby_queue_entry *qentry = NULL;
		pool_t pool = pool_alloconly_create("test", 1024);

		test_assert(standby_queue_open(queue, entry.id, pool,
					       &qentry, &error) == 1);
		if (qentry != NULL) {
			test_assert(str_array_length(
				qentry->entry->flags) == 250);
			standby_queue_entry_close(&qentry);
		}
		pool_unref(&pool);
		test_assert(standby_queue_remove_id(queue, entry.id,
						    &error) == 0);
	}
	standby_queue_deinit(&queue);
	test_end();
}

static void test_standby_queue_states(void)
{
	struct standby_queue *queue;
	struct standby_queue_entry *qentry;
	ARRAY_TYPE(standby_queue_item) items;
	const struct standby_queue_item *item;
	const char *ids[3], *error;
	pool_t pool = pool_alloconly_create("test", 4096);
	unsigned int i;

	test_begin("standby queue: order, defer, uncertain, dead letters");
	i_assert(unlink_directory(test_dir, UNLINK_DIRECTORY_FLAG_RMDIR,
				  &error) >= 0);
	queue = standby_queue_init(test_dir, NULL);
	for (i = 0; i < N_ELEMENTS(ids); i++) {
		ids[i] = test_add(queue, "body\n", "INBOX", NULL);
		usleep(2);
		io_loop_time_refresh();
	}
	p_array_init(&items, pool, 4);
	test_assert(standby_queue_list(queue, STANDBY_QUEUE_DIR_QUEUE, pool,
				       &items, &error) == 0);
	test_assert(array_count(&items) == 3);
	for (i = 0; i < array_count(&items); i++) {
		item = array_idx(&items, i);
		test_assert_strcmp_idx(item->id, ids[i], i);
		test_assert_idx(!item->uncertain, i);
	}

	test_assert(standby_queue_defer_id(queue, ids[1], ioloop_time + 300,
					   &error) == 0);
	test_assert(standby_queue_open(queue, ids[2], pool, &qentry,
				       &error) == 1);
	test_assert(standby_queue_entry_set_uncertain(qentry, TRUE,
						      &error) == 0);
	standby_queue_entry_close(&qentry);
	test_assert(standby_queue_kill_id(queue, ids[0], "refused: too big",
					  &error) == 0);

	array_clear(&items);
	test_assert(standby_queue_list(queue, STANDBY_QUEUE_DIR_QUEUE, pool,
				       &items, &error) == 0);
	test_assert(array_count(&items) == 2);
	item = array_idx(&items, 0);
	test_assert_strcmp(item->id, ids[1]);
	test_assert(item->next_attempt == ioloop_time + 300);
	item = array_idx(&items, 1);
	test_assert(item->uncertain);

	array_clear(&items);
	test_assert(standby_queue_list(queue, STANDBY_QUEUE_DIR_DEAD, pool,
				       &items, &error) == 0);
	test_assert(array_count(&items) == 1);
	test_assert(standby_queue_revive_id(queue, ids[0], &error) == 0);
	array_clear(&items);
	test_assert(standby_queue_list(queue, STANDBY_QUEUE_DIR_QUEUE, pool,
				       &items, &error) == 0);
	test_assert(array_count(&items) == 3);
	standby_queue_deinit(&queue);
	pool_unref(&pool);
	test_end();
}

static void test_standby_queue_backoff(void)
{
	struct standby_settings set = {
		.min_backoff_secs = 60,
		.max_backoff_secs = 3600,
		.max_queue_lifetime_secs = 86400,
	};
	time_t now = 1000000;

	test_begin("standby queue: Postfix-style backoff");
	test_assert(standby_queue_next_attempt(&set, now, now) == now + 60);
	test_assert(standby_queue_next_attempt(&set, now - 200, now) ==
		    now + 200);
	test_assert(standby_queue_next_attempt(&set, now - 10000, now) ==
		    now + 3600);
	test_assert(!standby_queue_expired(&set, now - 86399, now));
	test_assert(standby_queue_expired(&set, now - 86400, now));
	test_end();
}

#define TEST_SHA4(c) c c c c
#define TEST_SHA(c) TEST_SHA4(TEST_SHA4(TEST_SHA4(c)))	/* 64 */

static void test_missed_entry(struct standby_entry *entry,
			      const char *mailbox, const char *const *flags,
			      uoff_t size)
{
	i_zero(entry);
	entry->id = standby_entry_id_generate();
	entry->mailbox = mailbox;
	entry->flags = flags;
	entry->internal_date = 1700000000;
	entry->tz_offset_mins = -120;
	entry->queued_time = 1700000100;
	entry->direction = STANDBY_DIRECTION_OUTGOING;
	entry->size = size;
}

static void test_standby_missed(void)
{
	static const char *const flags[] = { "\\Seen", "$Kw", NULL };
	static const char *const no_flags[] = { NULL };
	const char *sha_a = TEST_SHA("a"), *sha_b = TEST_SHA("b");
	const char *sha_c = TEST_SHA("c");
	const char *dir = t_strconcat(test_dir, "/missed-test", NULL);
	const char *path = t_strconcat(dir, "/missed", NULL);
	ARRAY_TYPE(standby_missed_record) records;
	const struct standby_missed_record *rec, *rec0;
	struct standby_queue *queue;
	struct standby_entry entry;
	const char *error, *id_a;
	unsigned int bad;
	size_t used;
	struct stat st;
	int fd;

	test_begin("missed list");
	t_array_init(&records, 4);
	/* no file: no records */
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 0 && used == 0);
	test_assert(!standby_missed_any(dir));

	/* the queue's first entry makes the reserve */
	queue = standby_queue_init(dir, NULL);
	(void)test_add(queue, "body", "", NULL);
	standby_queue_deinit(&queue);
	test_assert(stat(path, &st) == 0 &&
		    st.st_size == STANDBY_MISSED_RESERVE &&
		    (st.st_mode & 0777) == 0600);
	test_assert(!standby_missed_any(dir));

	test_missed_entry(&entry, "Orders/Auftr\xc3\xa4ge", flags, 1234);
	id_a = entry.id;
	test_assert(standby_missed_add(dir, &entry, sha_a, &error) == 0);
	test_missed_entry(&entry, "", no_flags, 99);
	entry.direction = STANDBY_DIRECTION_INCOMING;
	test_assert(standby_missed_add(dir, &entry, sha_b, &error) == 0);
	test_assert(standby_missed_any(dir));
	/* written in place: the file did not grow */
	test_assert(stat(path, &st) == 0 &&
		    st.st_size == STANDBY_MISSED_RESERVE);

	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 2 && bad == 0);
	rec = array_idx(&records, 0);
	test_assert_strcmp(rec->entry.id, id_a);
	test_assert_strcmp(rec->entry.mailbox, "Orders/Auftr\xc3\xa4ge");
	test_assert_strcmp(t_strarray_join(rec->entry.flags, " "),
			   "\\Seen $Kw");
	test_assert(rec->entry.size == 1234);
	test_assert(rec->entry.internal_date == 1700000000);
	test_assert(rec->entry.tz_offset_mins == -120);
	test_assert(rec->entry.queued_time == 1700000100);
	test_assert(rec->entry.direction == STANDBY_DIRECTION_OUTGOING);
	test_assert_strcmp(rec->sha256_hex, sha_a);
	rec = array_idx(&records, 1);
	test_assert_strcmp(rec->entry.mailbox, "");
	test_assert(rec->entry.flags[0] == NULL);
	test_assert(rec->entry.direction == STANDBY_DIRECTION_INCOMING);
	rec0 = array_idx(&records, 0);
	test_assert(used == strlen(rec0->line) + strlen(rec->line));

	/* one added after the read survives the drop; the second record
	   is kept, the first dropped */
	test_assert(standby_missed_add(dir, &entry, sha_c, &error) == 0);
	test_assert(standby_missed_drop(dir, used, rec->line, &error) == 0);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 2);
	rec0 = array_idx(&records, 0);
	rec = array_idx(&records, 1);
	test_assert_strcmp(rec0->sha256_hex, sha_b);
	test_assert_strcmp(rec->sha256_hex, sha_c);

	/* all dropped: zeros again, the reserve stays */
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);
	test_assert(!standby_missed_any(dir));
	test_assert(stat(path, &st) == 0 &&
		    st.st_size == STANDBY_MISSED_RESERVE);

	/* a record whose entry id is not one is not a record */
	test_assert(standby_missed_add(dir, &entry, sha_c, &error) == 0);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 1 && bad == 0);
	rec = array_idx(&records, 0);
	test_assert(standby_missed_drop(dir, used,
		t_strconcat("1\t../x", strchr(rec->line + 2, '\t'), NULL),
		&error) == 0);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 0 && bad == 1);
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);

	/* a line that cannot be parsed is counted, not returned */
	fd = open(path, O_WRONLY);
	test_assert(fd != -1 && pwrite(fd, "1\tjunk\n", 7, 0) == 7);
	i_close_fd(&fd);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 0 && bad == 1 && used == 7);

	/* a record torn by a crash (no LF) is skipped, and the next one
	   is written apart from it */
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);
	fd = open(path, O_WRONLY);
	test_assert(fd != -1 && pwrite(fd, "1\t12\t", 5, 0) == 5);
	i_close_fd(&fd);
	test_assert(standby_missed_add(dir, &entry, sha_c, &error) == 0);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 1 && bad == 1);
	rec = array_idx(&records, 0);
	test_assert_strcmp(rec->sha256_hex, sha_c);
	array_clear(&records);
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);
	fd = open(path, O_WRONLY);
	test_assert(fd != -1 && pwrite(fd, "1\t12\t", 5, 0) == 5);
	i_close_fd(&fd);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 0 && bad == 1 && used == 5);

	/* torn inside the flags, then an LF: no end mark, not a record */
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);
	test_assert(standby_missed_add(dir, &entry, sha_a, &error) == 0);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	rec = array_idx(&records, 0);
	test_assert(standby_missed_drop(dir, used,
		t_strconcat(t_strcut(rec->line, '.'), "\n", NULL),
		&error) == 0);
	array_clear(&records);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 0 && bad == 1);
	test_end();
}

/* A missed-list line with the given digest, folder and flags fields (as
   they are in the file: tab-escaped) */
static const char *
test_missed_line(const char *sha256_field, const char *mailbox_field,
		 const char *flags_field)
{
	return t_strdup_printf("1\t006b0b2d72090df0-80715e23722d0b6b4021000083"
			       "ecc375\t89\t%s\t0\t0\tincoming\t5\t%s\t%s\t.\n",
			       sha256_field, mailbox_field, flags_field);
}

/* Write line as the list's only content; returns the number of records
   read back, *bad_r the number of bad ones */
static unsigned int
test_missed_read_line(const char *dir, const char *line, unsigned int *bad_r)
{
	ARRAY_TYPE(standby_missed_record) records;
	const char *error;
	size_t used;

	t_array_init(&records, 2);
	test_assert(standby_missed_drop(dir, 0, line, &error) == 0);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, bad_r,
					&error) == 0);
	test_assert(used == strlen(line));
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);
	return array_count(&records);
}

static void test_standby_missed_names(void)
{
	static const char *const flags[] = {
		"\\Seen", "\\answered", "\\Flagged", "\\Draft", "\\Deleted",
		"$Label1", "Junk_2", NULL
	};
	static const char *const no_flags[] = { NULL };
	/* folders and flags the mirror command refuses */
	static const char *const bad_folders[] = {
		"Orders\tx", "Orders\x01x", "Orders\x0bx", "a\xc2\x85" "b",
		"/Orders", "Orders/", "a//b", "a/../b", "..", "\xff", NULL
	};
	static const char *const bad_flags[] = {
		"Gr\xc3\xb6\xc3\x9f" "e", "a b", "\\Recent", "", "a(b",
		"a\tb", NULL
	};
	const char *dir = t_strconcat(test_dir, "/missed-names", NULL);
	const char *sha = TEST_SHA("a"), *long_name, *error;
	const char *bad_shas[] = {
		TEST_SHA("A"), TEST_SHA("g"), TEST_SHA("a") "a",
		t_strndup(sha, 63), t_strconcat("\x01", sha + 1, NULL), NULL
	};
	/* as they would be in the file (tab-escaped) */
	static const char *const bad_folder_fields[] = {
		"Orders\x01tx", "Orders\x01" "1x", "Orders\x0bx",
		"a\xc2\x85" "b", "/Orders", "Orders/", "a//b", "a/../b", "..",
		"\xff", NULL
	};
	static const char *const bad_flag_fields[] = {
		"Gr\xc3\xb6\xc3\x9f" "e", "a  b", " a", "a ", "\\Recent",
		"a(b", "a\x01tb", NULL
	};
	/* valid once unescaped, but not as the writer writes them */
	static const char *const uncanonical_flag_fields[] = {
		"\x01" "a", "\\Seen\x01" "0", "a\x01", NULL
	};
	ARRAY_TYPE(standby_missed_record) records;
	const struct standby_missed_record *rec;
	struct standby_entry entry;
	const char *one_flag[] = { NULL, NULL };
	unsigned int i, bad;
	size_t used;

	test_begin("missed list: only names the mirror command accepts");
	test_assert(mkdir(dir, 0700) == 0);
	test_assert(standby_missed_reserve(dir, &error) == 0);

	/* the writer refuses what the reader would not accept, and writes
	   nothing */
	for (i = 0; bad_folders[i] != NULL; i++) {
		test_missed_entry(&entry, bad_folders[i], no_flags, 5);
		test_assert_idx(standby_missed_add(dir, &entry, sha,
						   &error) < 0, i);
	}
	long_name = test_fill(STANDBY_NAMES_MAILBOX_MAX_LEN + 1, 'x');
	test_missed_entry(&entry, long_name, no_flags, 5);
	test_assert(standby_missed_add(dir, &entry, sha, &error) < 0);
	for (i = 0; bad_flags[i] != NULL; i++) {
		one_flag[0] = bad_flags[i];
		test_missed_entry(&entry, "Orders", one_flag, 5);
		test_assert_idx(standby_missed_add(dir, &entry, sha,
						   &error) < 0, i);
	}
	test_missed_entry(&entry, "Orders", no_flags, 5);
	for (i = 0; bad_shas[i] != NULL; i++) {
		test_assert_idx(standby_missed_add(dir, &entry, bad_shas[i],
						   &error) < 0, i);
	}
	test_assert(!standby_missed_any(dir));

	/* what it writes reads back as it was */
	test_missed_entry(&entry, long_name + 1, flags, 5);
	test_assert(standby_missed_add(dir, &entry, sha, &error) == 0);
	t_array_init(&records, 2);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 1 && bad == 0);
	if (array_count(&records) == 1) {
		rec = array_front(&records);
		test_assert_strcmp(rec->entry.mailbox, long_name + 1);
		test_assert_strcmp(t_strarray_join(rec->entry.flags, " "),
				   t_strarray_join(flags, " "));
	}
	test_assert(standby_missed_drop(dir, used, "", &error) == 0);

	/* the reader counts as bad what the writer would not write */
	test_assert(test_missed_read_line(dir,
		test_missed_line(sha, "Orders", "\\Seen $Kw"), &bad) == 1 &&
		bad == 0);
	for (i = 0; bad_shas[i] != NULL; i++) {
		test_assert_idx(test_missed_read_line(dir,
			test_missed_line(bad_shas[i], "", ""), &bad) == 0 &&
			bad == 1, i);
	}
	for (i = 0; bad_folder_fields[i] != NULL; i++) {
		test_assert_idx(test_missed_read_line(dir,
			test_missed_line(sha, bad_folder_fields[i], ""),
			&bad) == 0 && bad == 1, i);
	}
	for (i = 0; bad_flag_fields[i] != NULL; i++) {
		test_assert_idx(test_missed_read_line(dir,
			test_missed_line(sha, "Orders", bad_flag_fields[i]),
			&bad) == 0 && bad == 1, i);
	}
	for (i = 0; uncanonical_flag_fields[i] != NULL; i++) {
		test_assert_idx(test_missed_read_line(dir,
			test_missed_line(sha, "Orders",
					 uncanonical_flag_fields[i]),
			&bad) == 0 && bad == 1, i);
	}
	test_assert(test_missed_read_line(dir,
		test_missed_line(sha, "Orders\x01" "0x", ""), &bad) == 0 &&
		bad == 1);
	test_end();
}

/* A missed-list line with the given dates (as in the file) */
static const char *
test_missed_dated_line(long long internal_date, int tz, long long queued)
{
	return t_strdup_printf("1\t006b0b2d72090df0-80715e23722d0b6b4021000083"
			       "ecc375\t89\t%s\t%lld\t%d\tincoming\t%lld\t"
			       "Orders\t\t.\n", TEST_SHA("a"), internal_date,
			       tz, queued);
}

/* A note is requeued with its dates: the missed list holds only dates
   that the queue's reader accepts (the limits of standby-entry.h). */
static void test_standby_missed_dates(void)
{
	static const struct {
		time_t internal_date;
		int tz;
		time_t queued;
	} bad[] = {
		{ -2, 0, 5 },
		{ STANDBY_ENTRY_MAX_TIME + 1, 0, 5 },
		{ 0, STANDBY_ENTRY_MAX_TZ_MINS + 1, 5 },
		{ 0, -STANDBY_ENTRY_MAX_TZ_MINS - 1, 5 },
		{ 0, 0, 0 },
		{ 0, 0, -1 },
		{ 0, 0, STANDBY_ENTRY_MAX_TIME + 1 },
	};
	const char *dir = t_strconcat(test_dir, "/missed-dates", NULL);
	const char *error, *line;
	struct standby_entry entry;
	unsigned int i, bad_count;

	test_begin("missed list: only dates that the queue reads");
	test_assert(mkdir(dir, 0700) == 0);
	test_assert(standby_missed_reserve(dir, &error) == 0);
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		test_missed_entry(&entry, "Orders", NULL, 5);
		entry.internal_date = bad[i].internal_date;
		entry.tz_offset_mins = bad[i].tz;
		entry.queued_time = bad[i].queued;
		test_assert_idx(standby_missed_add(dir, &entry, TEST_SHA("a"),
						   &error) < 0, i);
		line = test_missed_dated_line(bad[i].internal_date,
					      bad[i].tz, bad[i].queued);
		test_assert_idx(test_missed_read_line(dir, line,
						      &bad_count) == 0 &&
				bad_count == 1, i);
	}
	test_assert(!standby_missed_any(dir));
	/* the limits themselves are read */
	line = test_missed_dated_line(-1, -STANDBY_ENTRY_MAX_TZ_MINS,
				      STANDBY_ENTRY_MAX_TIME);
	test_assert(test_missed_read_line(dir, line, &bad_count) == 1 &&
		    bad_count == 0);
	line = test_missed_dated_line(STANDBY_ENTRY_MAX_TIME,
				      STANDBY_ENTRY_MAX_TZ_MINS, 1);
	test_assert(test_missed_read_line(dir, line, &bad_count) == 1 &&
		    bad_count == 0);
	test_end();
}

/* Issue 19: a digest field whose escape (0x01 0x01, read as one 0x01)
   gave 64 bytes that were no digest; the writer wrote it unescaped and
   read it back as 63. Both of the input's records are bad, and a valid
   one beside them is still read. */
static void test_standby_missed_issue19(void)
{
	const char *dir = t_strconcat(test_dir, "/missed-issue19", NULL);
	const char *lines, *error;
	ARRAY_TYPE(standby_missed_record) records;
	const struct standby_missed_record *rec;
	unsigned int bad;
	size_t used;

	test_begin("missed list: issue 19, a digest with an escape");
	test_assert(mkdir(dir, 0700) == 0);
	test_assert(standby_missed_reserve(dir, &error) == 0);
	lines = t_strconcat(
		"1\t006b0b2d720726bd-4852ef1b722d0b6b4021000083ecc375\t1234\t",
		TEST_SHA("a"), "\t1700000000\t-120\to\x9eutgoing\t"
		"1700000100\tOrders\x01tx\t\\Seen $Kw\t.\n",
		test_missed_line(t_strconcat(test_fill(10, 'b'),
					     "\x01\x01",
					     test_fill(40, 'b'), "[",
					     test_fill(12, 'b'), NULL), "",
				 t_strconcat(test_fill(34, '\xa5'),
					     test_fill(25, 'o'),
					     test_fill(7, '\xa5'), NULL)),
		test_missed_line(TEST_SHA("c"), "Orders", ""), NULL);
	test_assert(standby_missed_drop(dir, 0, lines, &error) == 0);
	t_array_init(&records, 2);
	test_assert(standby_missed_read(dir, pool_datastack_create(),
					&records, &used, &bad, &error) == 0);
	test_assert(array_count(&records) == 1 && bad == 2);
	test_assert(used == strlen(lines));
	if (array_count(&records) == 1) {
		rec = array_front(&records);
		test_assert_strcmp(rec->sha256_hex, TEST_SHA("c"));
	}
	test_end();
}

#define TEST_STATUS_PROCS 4
#define TEST_STATUS_ROUNDS 200

static const char *test_status_get(const char *dir, const char *key)
{
	ARRAY_TYPE(const_string) kv;
	const char *error;

	t_array_init(&kv, 8);
	if (standby_status_read(dir, pool_datastack_create(), &kv,
				&error) < 0)
		return NULL;
	return standby_status_get(&kv, key);
}

static const char *test_argv0;

/* "<argv0> status-writer <dir> <i>": one of the processes below (a
   process of its own, not a fork: it ends as cleanly as any program) */
static int test_status_writer(const char *dir, const char *nr)
{
	unsigned int i, n;
	int ret = 0;

	lib_init();
	if (str_to_uint(nr, &i) < 0)
		i_fatal("invalid writer number: %s", nr);
	for (n = 0; n < TEST_STATUS_ROUNDS && ret == 0; n++) T_BEGIN {
		const char *error;

		ret = standby_status_increment(dir, "queue_write_failures",
			i % 2 == 0 ? "disk full" : NULL, &error);
		if (ret == 0 && i == 0) {
			ret = standby_status_update(dir, "last_success",
						    dec2str(n + 1), &error);
		}
		if (ret < 0)
			i_error("%s", error);
	} T_END;
	lib_deinit();
	return ret == 0 ? 0 : 1;
}

/* LMTP processes that count failures at the same time, while a drain
   records its result: every change is kept. */
static void test_standby_status_concurrent(void)
{
	const char *dir = t_strconcat(test_dir, "/status-test", NULL);
	pid_t pids[TEST_STATUS_PROCS];
	unsigned int i;
	int status;

	test_begin("status: concurrent changes are all kept");
	test_assert(mkdir(dir, 0700) == 0);
	for (i = 0; i < TEST_STATUS_PROCS; i++) {
		const char *argv[] = {
			test_argv0, "status-writer", dir, dec2str(i), NULL
		};

		pids[i] = fork();
		if (pids[i] < 0)
			i_fatal("fork() failed: %m");
		if (pids[i] == 0) {
			execv(argv[0], (char *const *)argv);
			i_fatal("execv(%s) failed: %m", argv[0]);
		}
	}
	for (i = 0; i < TEST_STATUS_PROCS; i++) {
		test_assert(waitpid(pids[i], &status, 0) == pids[i] &&
			    WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	test_assert_strcmp(test_status_get(dir, "queue_write_failures"),
		dec2str(TEST_STATUS_PROCS * TEST_STATUS_ROUNDS));
	test_assert_strcmp(test_status_get(dir, "last_success"),
			   dec2str(TEST_STATUS_ROUNDS));
	test_assert_strcmp(test_status_get(dir, "last_error"), "disk full");
	test_end();
}

static struct ioloop *test_ioloop;

static void test_setup(void)
{
	test_ioloop = io_loop_create();
	test_dir = i_strdup_printf("/tmp/test-standby-queue.%ld",
				   (long)getpid());
}

static void test_cleanup(void)
{
	const char *error;

	(void)unlink_directory(test_dir, UNLINK_DIRECTORY_FLAG_RMDIR, &error);
	i_free(test_dir);
	io_loop_destroy(&test_ioloop);
}

int main(int argc, char *argv[])
{
	static void (*const test_functions[])(void) = {
		test_setup,
		test_standby_queue_roundtrip,
		test_standby_queue_given_id,
		test_standby_queue_torn,
		test_standby_queue_dates,
		test_standby_queue_names,
		test_standby_queue_states,
		test_standby_queue_backoff,
		test_standby_missed,
		test_standby_missed_names,
		test_standby_missed_dates,
		test_standby_missed_issue19,
		test_standby_status_concurrent,
		test_cleanup,
		NULL
	};

	if (argc == 4 && strcmp(argv[1], "status-writer") == 0)
		return test_status_writer(argv[2], argv[3]);
	test_argv0 = argv[0];
	return test_run(test_functions);
}

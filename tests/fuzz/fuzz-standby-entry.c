/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The queue entry reader, through the path the drain takes: the input is
   written as a file into queue/ and opened with standby_queue_open(),
   then the body is read as the drain sends it. Invariants checked:
   - an accepted entry has every field the drain uses, and its body
     stream yields exactly entry->size bytes without error
   - its queue time works in the backoff arithmetic
   - its INTERNALDATE can be written as an IMAP date-time (APPEND)
   - every shorter file (the entry torn anywhere) is refused
   - it is written again through the real writer (which must accept it)
     and read back as the same entry: the reader accepts only what the
     writer writes. */

#include "lib.h"
#include "str.h"
#include "istream.h"
#include "imap-date.h"
#include "ioloop.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "fuzz-standby-common.h"

#include <unistd.h>

/* a valid id, used when the input has none */
#define FUZZ_ENTRY_DEFAULT_ID "00655a3b0000000-00000000000000000000000000000000"

static const struct standby_settings fuzz_set = {
	.min_backoff_secs = STANDBY_DEFAULT_MIN_BACKOFF_SECS,
	.max_backoff_secs = STANDBY_DEFAULT_MAX_BACKOFF_SECS,
	.max_queue_lifetime_secs = STANDBY_DEFAULT_MAX_QUEUE_LIFETIME_SECS,
};
static struct standby_queue *fuzz_queue;
static const char *fuzz_queue_dir;

int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	const char *dir;

	fuzz_standby_init();
	dir = fuzz_standby_mkdtemp("standby-fuzz-entry");
	fuzz_queue_dir = i_strconcat(dir, "/queue", NULL);
	if (mkdir(fuzz_queue_dir, 0700) < 0)
		i_fatal("mkdir(%s) failed: %m", fuzz_queue_dir);
	fuzz_queue = standby_queue_init(dir, NULL);
	return 0;
}

/* The file name: the id the input claims, when it is a valid one (so
   that the id check passes and the rest is reached). */
static const char *fuzz_entry_id(const uint8_t *data, size_t size)
{
	const char *text = t_strndup(data, size), *p, *id;

	p = strstr(text, "\nid=");
	if (p == NULL)
		return FUZZ_ENTRY_DEFAULT_ID;
	id = t_strcut(p + 4, '\n');
	return standby_entry_id_is_valid(id) ? id : FUZZ_ENTRY_DEFAULT_ID;
}

static void fuzz_entry_check_body(struct standby_queue_entry *qentry)
{
	struct istream *body = standby_queue_entry_get_body(qentry);
	const unsigned char *data;
	size_t size;
	uoff_t total = 0;

	while (i_stream_read_more(body, &data, &size) > 0) {
		total += size;
		i_stream_skip(body, size);
	}
	if (body->stream_errno != 0) {
		i_panic("accepted entry has an unreadable body: %s",
			i_stream_get_error(body));
	}
	if (total != qentry->entry->size) {
		i_panic("accepted entry's body has %"PRIuUOFF_T" bytes, "
			"not %"PRIuUOFF_T, total, qentry->entry->size);
	}
	i_stream_unref(&body);
}

static void fuzz_entry_check(struct standby_queue_entry *qentry)
{
	const struct standby_entry *entry = qentry->entry;
	unsigned int i;

	i_assert(standby_entry_id_is_valid(entry->id));
	i_assert(entry->mailbox != NULL);
	i_assert(entry->flags != NULL);
	for (i = 0; entry->flags[i] != NULL; i++)
		(void)strlen(entry->flags[i]);
	(void)standby_direction_to_str(entry->direction);
	/* what the drain does when the standby refuses it */
	(void)standby_queue_expired(&fuzz_set, entry->queued_time,
				    ioloop_time);
	(void)standby_queue_next_attempt(&fuzz_set, entry->queued_time,
					 ioloop_time);
	/* what standby_imap_append_many() sends with the APPEND */
	if (entry->internal_date != 0 && entry->internal_date != (time_t)-1) {
		(void)imap_to_datetime_tz(entry->internal_date,
					  entry->tz_offset_mins);
	}
	fuzz_entry_check_body(qentry);
}

static bool fuzz_str_equals(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
fuzz_entry_compare(const struct standby_entry *a,
		   const struct standby_entry *b)
{
	unsigned int i;

	if (!fuzz_str_equals(a->id, b->id) ||
	    !fuzz_str_equals(a->mailbox, b->mailbox) ||
	    !fuzz_str_equals(a->user, b->user) ||
	    a->internal_date != b->internal_date ||
	    a->tz_offset_mins != b->tz_offset_mins ||
	    a->queued_time != b->queued_time ||
	    a->direction != b->direction || a->size != b->size)
		i_panic("entry written back reads as a different entry");
	for (i = 0; a->flags[i] != NULL; i++) {
		if (!fuzz_str_equals(a->flags[i], b->flags[i]))
			i_panic("entry written back has other flags");
	}
	if (b->flags[i] != NULL)
		i_panic("entry written back has more flags");
}

/* Write the accepted entry (its body: data from its body offset) again
   with the real writer, read it back: the same entry. */
static void
fuzz_entry_roundtrip(const struct standby_entry *entry, const char *path,
		     const uint8_t *data, size_t size)
{
	struct standby_queue_entry *again;
	string_t *str = t_str_new(size + 128);
	const char *error;
	pool_t pool;
	int ret;

	if (standby_entry_write_header(str, entry, &error) < 0)
		i_panic("accepted entry not written back: %s", error);
	i_assert(entry->body_offset + entry->size <= size);
	str_append_data(str, data + entry->body_offset, entry->size);
	standby_entry_write_trailer(str, entry);
	fuzz_standby_write_file(path, str_data(str), str_len(str));

	pool = pool_alloconly_create("fuzz entry again", 1024);
	ret = standby_queue_open(fuzz_queue, entry->id, pool, &again,
				 &error);
	if (ret <= 0) {
		i_panic("entry written back is refused: %s",
			ret < 0 ? error : "not found");
	}
	fuzz_entry_compare(entry, again->entry);
	standby_queue_entry_close(&again);
	pool_unref(&pool);
}

/* Open the file written from data[0..size); 1 accepted, 0/-1 refused */
static int
fuzz_entry_open(const char *id, const uint8_t *data, size_t size,
		bool check)
{
	struct standby_queue_entry *qentry;
	const char *path, *error;
	pool_t pool;
	int ret;

	path = t_strconcat(fuzz_queue_dir, "/", id, NULL);
	fuzz_standby_write_file(path, data, size);
	pool = pool_alloconly_create("fuzz entry", 1024);
	ret = standby_queue_open(fuzz_queue, id, pool, &qentry, &error);
	if (ret > 0) {
		const struct standby_entry *entry = qentry->entry;

		if (check)
			fuzz_entry_check(qentry);
		standby_queue_entry_close(&qentry);
		/* (the entry is in pool, which outlives qentry) */
		if (check)
			fuzz_entry_roundtrip(entry, path, data, size);
	} else if (ret < 0) {
		i_assert(error != NULL);
	}
	pool_unref(&pool);
	i_unlink(path);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	T_BEGIN {
		const char *id = fuzz_entry_id(data, size);
		size_t cuts[3];
		unsigned int i;

		if (fuzz_entry_open(id, data, size, TRUE) > 0) {
			/* torn: the end missing, half of it, all but the
			   header */
			cuts[0] = size - 1;
			cuts[1] = size / 2;
			cuts[2] = size > 64 ? 64 : 0;
			for (i = 0; i < N_ELEMENTS(cuts); i++) {
				if (fuzz_entry_open(id, data, cuts[i],
						    FALSE) > 0) {
					i_panic("entry accepted after "
						"truncating it from %zu to "
						"%zu bytes", size, cuts[i]);
				}
			}
		}
	} T_END;
	return 0;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The missed list reader (standby-missed.h): the input is the file
   <state_dir>/missed, read as the worker's drain reads it. Invariants:
   - reading never fails on content, and the records end at the first NUL
   - every record it returns can be written back with standby_missed_add()
     and read again with the same fields, as the same line (the reader
     accepts nothing that the writer does not write)
   - dropping what was read leaves no record. */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "standby-missed.h"
#include "fuzz-standby-common.h"

#include <unistd.h>

static const char *fuzz_dir, *fuzz_dir2;

int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	fuzz_standby_init();
	fuzz_dir = fuzz_standby_mkdtemp("standby-fuzz-missed");
	fuzz_dir2 = fuzz_standby_mkdtemp("standby-fuzz-missed2");
	return 0;
}

static void fuzz_missed_same(const struct standby_missed_record *a,
			     const struct standby_missed_record *b)
{
	i_assert(strcmp(a->entry.id, b->entry.id) == 0);
	i_assert(a->entry.size == b->entry.size);
	i_assert(a->entry.internal_date == b->entry.internal_date);
	i_assert(a->entry.tz_offset_mins == b->entry.tz_offset_mins);
	i_assert(a->entry.queued_time == b->entry.queued_time);
	i_assert(a->entry.direction == b->entry.direction);
	i_assert(strcmp(a->sha256_hex, b->sha256_hex) == 0);
	i_assert(strcmp(a->entry.mailbox, b->entry.mailbox) == 0);
	i_assert(strcmp(t_strarray_join(a->entry.flags, " "),
			t_strarray_join(b->entry.flags, " ")) == 0);
}

/* write rec into an empty list of its own and read it back */
static void fuzz_missed_roundtrip(const struct standby_missed_record *rec)
{
	ARRAY_TYPE(standby_missed_record) again;
	const struct standby_missed_record *back;
	const char *path, *error;
	unsigned int bad;
	size_t used;

	path = t_strconcat(fuzz_dir2, "/"STANDBY_MISSED_FILE_NAME, NULL);
	fuzz_standby_write_file(path, "", 0);
	if (standby_missed_add(fuzz_dir2, &rec->entry, rec->sha256_hex,
			       &error) < 0)
		i_panic("add failed: %s", error);
	t_array_init(&again, 1);
	if (standby_missed_read(fuzz_dir2, pool_datastack_create(), &again,
				&used, &bad, &error) < 0)
		i_panic("read back failed: %s", error);
	i_assert(bad == 0 && array_count(&again) == 1);
	back = array_front(&again);
	fuzz_missed_same(rec, back);
	i_assert(strcmp(rec->line, back->line) == 0);
	i_assert(used == strlen(rec->line));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	T_BEGIN {
		ARRAY_TYPE(standby_missed_record) records;
		const struct standby_missed_record *rec;
		const unsigned char *nul = memchr(data, '\0', size);
		const char *path, *error;
		unsigned int bad;
		size_t used;

		path = t_strconcat(fuzz_dir, "/"STANDBY_MISSED_FILE_NAME,
				   NULL);
		fuzz_standby_write_file(path, data, size);
		t_array_init(&records, 8);
		if (standby_missed_read(fuzz_dir, pool_datastack_create(),
					&records, &used, &bad, &error) < 0)
			i_panic("read failed: %s", error);
		i_assert(used == (nul == NULL ? size :
				  (size_t)(nul - data)));
		array_foreach(&records, rec)
			fuzz_missed_roundtrip(rec);

		if (standby_missed_drop(fuzz_dir, used, "", &error) < 0)
			i_panic("drop failed: %s", error);
		i_assert(!standby_missed_any(fuzz_dir));
	} T_END;
	return 0;
}

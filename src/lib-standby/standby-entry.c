/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strescape.h"
#include "guid.h"
#include "hex-binary.h"
#include "ioloop.h"
#include "istream.h"
#include "standby-names.h"
#include "standby-entry.h"

#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>

/* The format is the journal of one message, in Postfix's spirit: typed
   records, a size before the body, an explicit END record after it. A
   file is only ever renamed into queue/ after it was complete and
   fsync'd, so a torn file there means disk damage; it is still checked
   on every read, because a torn entry must never be sent half. */

#define STANDBY_ENTRY_MAGIC "DSQ1"
#define STANDBY_ENTRY_ID_TIME_LEN 16
/* the widest size field: the digits of the largest uoff_t */
#define STANDBY_ENTRY_SIZE_MAX_DIGITS 20

const char *standby_entry_id_generate(void)
{
	guid_128_t guid;

	/* seconds and microseconds first, so that ids sort by time */
	guid_128_generate(guid);
	return t_strdup_printf("%010lx%06lx-%s",
			       (unsigned long)ioloop_timeval.tv_sec,
			       (unsigned long)ioloop_timeval.tv_usec,
			       guid_128_to_string(guid));
}

bool standby_entry_id_is_valid(const char *id)
{
	unsigned int i;

	/* used as a file name: only [0-9a-f-], no dots or slashes */
	for (i = 0; id[i] != '\0'; i++) {
		if (!i_isxdigit(id[i]) && id[i] != '-')
			return FALSE;
	}
	return i > STANDBY_ENTRY_ID_TIME_LEN && i < 80;
}

int standby_entry_id_get_time(const char *id, time_t *time_r)
{
	unsigned long long secs = 0;
	unsigned int i;

	if (!standby_entry_id_is_valid(id))
		return -1;
	/* the first 10 hex digits are the seconds */
	for (i = 0; i < 10; i++) {
		char c = id[i];

		if (!i_isxdigit(c))
			return -1;
		secs = secs * 16 + (i_isdigit(c) ? c - '0' :
				    (i_tolower(c) - 'a' + 10));
	}
	*time_r = (time_t)secs;
	return 0;
}

bool standby_entry_dates_are_valid(const struct standby_entry *entry,
				   const char **error_r)
{
	if (entry->internal_date < -1 ||
	    entry->internal_date > STANDBY_ENTRY_MAX_TIME) {
		*error_r = "invalid internaldate";
		return FALSE;
	}
	if (entry->queued_time < 1 ||
	    entry->queued_time > STANDBY_ENTRY_MAX_TIME) {
		*error_r = "invalid queued";
		return FALSE;
	}
	if (entry->tz_offset_mins < -STANDBY_ENTRY_MAX_TZ_MINS ||
	    entry->tz_offset_mins > STANDBY_ENTRY_MAX_TZ_MINS) {
		*error_r = "invalid tz";
		return FALSE;
	}
	return TRUE;
}

bool standby_entry_is_valid(const struct standby_entry *entry,
			    const char **error_r)
{
	const char *error;

	if (entry->id == NULL || !standby_entry_id_is_valid(entry->id)) {
		*error_r = "invalid id";
		return FALSE;
	}
	if (entry->mailbox == NULL) {
		*error_r = "no mailbox";
		return FALSE;
	}
	if (entry->mailbox[0] != '\0' &&
	    !standby_names_mailbox_is_valid(entry->mailbox, &error)) {
		*error_r = t_strdup_printf("invalid mailbox: %s", error);
		return FALSE;
	}
	if (!standby_names_flags_are_valid(entry->flags, &error)) {
		*error_r = t_strdup_printf("invalid flags: %s", error);
		return FALSE;
	}
	if (entry->direction != STANDBY_DIRECTION_INCOMING &&
	    entry->direction != STANDBY_DIRECTION_OUTGOING) {
		*error_r = "invalid direction";
		return FALSE;
	}
	return standby_entry_dates_are_valid(entry, error_r);
}

int standby_entry_write_header(string_t *dest,
			       const struct standby_entry *entry,
			       const char **error_r)
{
	const char *error;
	size_t start = str_len(dest), size_len;
	unsigned int i;

	if (!standby_entry_is_valid(entry, &error)) {
		*error_r = t_strdup_printf("entry not written: %s", error);
		return -1;
	}
	str_append(dest, STANDBY_ENTRY_MAGIC"\n");
	str_printfa(dest, "id=%s\n", entry->id);
	/* valid names and flags have no control character: no escapes */
	str_printfa(dest, "mailbox=%s\n", entry->mailbox);
	str_append(dest, "flags=");
	for (i = 0; entry->flags != NULL && entry->flags[i] != NULL; i++) {
		if (i > 0)
			str_append_c(dest, ' ');
		str_append(dest, entry->flags[i]);
	}
	str_append_c(dest, '\n');
	str_printfa(dest, "internaldate=%ld\n", (long)entry->internal_date);
	str_printfa(dest, "tz=%d\n", entry->tz_offset_mins);
	str_printfa(dest, "queued=%ld\n", (long)entry->queued_time);
	str_printfa(dest, "direction=%s\n",
		    standby_direction_to_str(entry->direction));
	if (entry->user != NULL)
		str_printfa(dest, "user=%s\n", str_tabescape(entry->user));
	size_len = strlen(dec2str(entry->size));
	str_printfa(dest, "size=%"PRIuUOFF_T"\n", entry->size);
	str_append_c(dest, '\n');

	/* the reader must be able to read it, also with the size written
	   at its widest (as standby-queue.c does) */
	if (str_len(dest) - start - size_len + STANDBY_ENTRY_SIZE_MAX_DIGITS >
	    STANDBY_ENTRY_MAX_HEADER_SIZE) {
		str_truncate(dest, start);
		*error_r = t_strdup_printf(
			"entry not written: header too long (max %d bytes)",
			STANDBY_ENTRY_MAX_HEADER_SIZE);
		return -1;
	}
	return 0;
}

void standby_entry_write_trailer(string_t *dest,
				 const struct standby_entry *entry)
{
	str_printfa(dest, "\nEND %s\n", entry->id);
}

static int
standby_entry_parse_field(struct standby_entry *entry, pool_t pool,
			  const char *key, const char *value,
			  const char **error_r)
{
	long long num;

	if (strcmp(key, "id") == 0) {
		if (!standby_entry_id_is_valid(value)) {
			*error_r = "invalid id";
			return -1;
		}
		entry->id = p_strdup(pool, value);
	} else if (strcmp(key, "user") == 0) {
		entry->user = p_strdup(pool, t_str_tabunescape(value));
	} else if (strcmp(key, "mailbox") == 0) {
		/* written unescaped: a valid name has no control character
		   to escape, and an escape could hide one ("\001" "0" is a
		   NUL that ends the name) */
		if (strchr(value, '\001') != NULL) {
			*error_r = "invalid mailbox: escaped character";
			return -1;
		}
		entry->mailbox = p_strdup(pool, value);
	} else if (strcmp(key, "flags") == 0) {
		const char *const *flags = t_strsplit_spaces(value, " ");
		ARRAY_TYPE(const_string) list;

		/* as the mailbox: "\001" "0 x" was an empty flag and "x",
		   written back as one flag */
		if (strchr(value, '\001') != NULL) {
			*error_r = "invalid flags: escaped character";
			return -1;
		}
		p_array_init(&list, pool, 4);
		for (; *flags != NULL; flags++) {
			const char *flag = p_strdup(pool, *flags);
			array_push_back(&list, &flag);
		}
		array_append_zero(&list);
		entry->flags = array_front(&list);
	} else if (strcmp(key, "direction") == 0) {
		if (standby_direction_parse(value, &entry->direction) < 0) {
			*error_r = "invalid direction";
			return -1;
		}
	} else if (strcmp(key, "size") == 0) {
		if (str_to_uoff(value, &entry->size) < 0) {
			*error_r = "invalid size";
			return -1;
		}
	} else if (strcmp(key, "internaldate") == 0 ||
		   strcmp(key, "queued") == 0 || strcmp(key, "tz") == 0) {
		if (str_to_llong(value, &num) < 0) {
			*error_r = t_strdup_printf("invalid %s", key);
			return -1;
		}
		if (strcmp(key, "tz") == 0) {
			if (num < -STANDBY_ENTRY_MAX_TZ_MINS ||
			    num > STANDBY_ENTRY_MAX_TZ_MINS) {
				*error_r = "invalid tz";
				return -1;
			}
			entry->tz_offset_mins = (int)num;
		} else if (num > STANDBY_ENTRY_MAX_TIME || num < -1 ||
			   (num == -1 && strcmp(key, "queued") == 0)) {
			/* only internaldate may be -1 (no date) */
			*error_r = t_strdup_printf("invalid %s", key);
			return -1;
		} else if (strcmp(key, "queued") == 0)
			entry->queued_time = (time_t)num;
		else
			entry->internal_date = (time_t)num;
	}
	/* unknown keys are skipped: a later version may add records */
	return 0;
}

static int
standby_entry_read_header(struct istream *input, pool_t pool,
			  struct standby_entry *entry, const char **error_r)
{
	const char *line, *p, *error;
	bool seen_size = FALSE, seen_end = FALSE;

	line = i_stream_read_next_line(input);
	if (line == NULL || strcmp(line, STANDBY_ENTRY_MAGIC) != 0) {
		*error_r = "not a queue entry (bad magic)";
		return -1;
	}
	while ((line = i_stream_read_next_line(input)) != NULL) {
		if (input->v_offset > STANDBY_ENTRY_MAX_HEADER_SIZE) {
			*error_r = "header too long";
			return -1;
		}
		if (*line == '\0') {
			seen_end = TRUE;
			break;
		}
		p = strchr(line, '=');
		if (p == NULL) {
			*error_r = "header line without '='";
			return -1;
		}
		if (standby_entry_parse_field(entry, pool,
					      t_strdup_until(line, p), p + 1,
					      &error) < 0) {
			*error_r = error;
			return -1;
		}
		if (strncmp(line, "size=", 5) == 0)
			seen_size = TRUE;
	}
	if (input->stream_errno != 0) {
		*error_r = i_stream_get_error(input);
		return -1;
	}
	if (!seen_end || !seen_size || entry->id == NULL ||
	    entry->mailbox == NULL || entry->queued_time == 0) {
		*error_r = "truncated header";
		return -1;
	}
	if (entry->flags == NULL) {
		static const char *const no_flags[] = { NULL };
		entry->flags = no_flags;
	}
	/* only what the writer writes: anything else (e.g. a flag that
	   unescapes to "" or to two flags) would not be written back as
	   the entry that was read */
	if (!standby_entry_is_valid(entry, error_r))
		return -1;
	entry->body_offset = input->v_offset;
	return 0;
}

int standby_entry_read(int fd, const char *path, pool_t pool,
		       struct standby_entry **entry_r, const char **error_r)
{
	struct standby_entry *entry;
	struct istream *input;
	struct stat st;
	string_t *trailer;
	unsigned char *buf;
	ssize_t ret;
	int result = 0;

	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		return -1;
	}
	entry = p_new(pool, struct standby_entry, 1);
	input = i_stream_create_fd(fd, 4096);
	i_stream_set_max_buffer_size(input, STANDBY_ENTRY_MAX_HEADER_SIZE);
	T_BEGIN {
		if (standby_entry_read_header(input, pool, entry,
					      error_r) < 0) {
			*error_r = t_strdup_printf("%s: %s", path, *error_r);
			result = -1;
		}
	} T_END_PASS_STR_IF(result < 0, error_r);
	i_stream_unref(&input);
	if (result < 0)
		return -1;

	/* the body and the END record must fill the rest exactly */
	trailer = t_str_new(128);
	standby_entry_write_trailer(trailer, entry);
	if (entry->body_offset + entry->size + str_len(trailer) !=
	    (uoff_t)st.st_size) {
		*error_r = t_strdup_printf(
			"%s: torn entry (size %"PRIuUOFF_T" does not match "
			"file size %"PRIuUOFF_T")", path,
			entry->size, (uoff_t)st.st_size);
		return -1;
	}
	buf = t_malloc_no0(str_len(trailer));
	ret = pread(fd, buf, str_len(trailer),
		    entry->body_offset + entry->size);
	if (ret < 0) {
		*error_r = t_strdup_printf("pread(%s) failed: %m", path);
		return -1;
	}
	if ((size_t)ret != str_len(trailer) ||
	    memcmp(buf, str_data(trailer), str_len(trailer)) != 0) {
		*error_r = t_strdup_printf("%s: torn entry (no END record)",
					   path);
		return -1;
	}
	*entry_r = entry;
	return 0;
}

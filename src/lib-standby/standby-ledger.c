/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strescape.h"
#include "write-full.h"
#include "standby-ledger.h"
#include "standby-file.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

/* no cap: the ledger grows by a line for every copy, and nothing
   bounds what the user's state holds yet */
#define STANDBY_LEDGER_MAX_SIZE 0

struct standby_ledger_writer {
	char *path;
	int fd;
};

int standby_ledger_writer_open(const char *state_dir,
			       struct standby_ledger_writer **writer_r,
			       const char **error_r)
{
	struct standby_ledger_writer *writer;
	const char *path = t_strconcat(state_dir, "/ledger", NULL);
	int fd;

	fd = standby_file_open(path, O_WRONLY | O_APPEND | O_CREAT, error_r);
	if (fd == -1)
		return -1;
	writer = i_new(struct standby_ledger_writer, 1);
	writer->path = i_strdup(path);
	writer->fd = fd;
	*writer_r = writer;
	return 0;
}

int standby_ledger_writer_add(struct standby_ledger_writer *writer,
			      const struct standby_ledger_record *rec,
			      const char **error_r)
{
	string_t *line = t_str_new(256);
	struct stat st;
	int saved_errno;

	str_printfa(line, "%s\t%s\t%u\t%u\t%"PRIuUOFF_T"\t%s\t%ld\t%s\n",
		    rec->id, str_tabescape(rec->mailbox), rec->uidvalidity,
		    rec->uid, rec->size, rec->sha256_hex,
		    (long)rec->accepted, rec->direction);
	/* one drain per user at a time (drain.lock): nobody else appends */
	if (fstat(writer->fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m",
					   writer->path);
		return -1;
	}
	if (write_full(writer->fd, str_data(line), str_len(line)) < 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("write(%s) failed: %m",
					   writer->path);
		/* no half line: the next record would be glued to it, and
		   both lost */
		if (ftruncate(writer->fd, st.st_size) < 0) {
			*error_r = t_strdup_printf(
				"%s, ftruncate(%s) failed: %m", *error_r,
				writer->path);
		}
		errno = saved_errno;
		return -1;
	}
	return 0;
}

int standby_ledger_writer_finish(struct standby_ledger_writer **_writer,
				 const char **error_r)
{
	struct standby_ledger_writer *writer = *_writer;
	int ret = 0, saved_errno = 0;

	*_writer = NULL;
	if (fdatasync(writer->fd) < 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("fdatasync(%s) failed: %m",
					   writer->path);
		ret = -1;
	}
	if (close(writer->fd) < 0 && ret == 0) {
		saved_errno = errno;
		*error_r = t_strdup_printf("close(%s) failed: %m",
					   writer->path);
		ret = -1;
	}
	i_free(writer->path);
	i_free(writer);
	if (ret < 0)
		errno = saved_errno;
	return ret;
}

static bool
standby_ledger_parse_line(const char *line, pool_t pool,
			  struct standby_ledger_record *rec_r)
{
	const char *const *args = t_strsplit_tabescaped(line);
	long accepted;

	if (str_array_length(args) < 8)
		return FALSE;
	i_zero(rec_r);
	if (str_to_uint32(args[2], &rec_r->uidvalidity) < 0 ||
	    str_to_uint32(args[3], &rec_r->uid) < 0 ||
	    str_to_uoff(args[4], &rec_r->size) < 0 ||
	    str_to_long(args[6], &accepted) < 0)
		return FALSE;
	rec_r->id = p_strdup(pool, args[0]);
	rec_r->mailbox = p_strdup(pool, args[1]);
	rec_r->sha256_hex = p_strdup(pool, args[5]);
	rec_r->accepted = accepted;
	rec_r->direction = p_strdup(pool, args[7]);
	return TRUE;
}

static int
standby_ledger_lines_open(const char *state_dir,
			  struct standby_file_lines **lines_r,
			  const char **error_r)
{
	const char *path = t_strconcat(state_dir, "/ledger", NULL);

	return standby_file_lines_open(path, STANDBY_LEDGER_MAX_SIZE, lines_r,
				       error_r);
}

int standby_ledger_read(const char *state_dir, pool_t pool,
			ARRAY_TYPE(standby_ledger_record) *records,
			unsigned int *bad_lines_r, const char **error_r)
{
	struct standby_ledger_record rec;
	struct standby_file_lines *lines;
	const char *line;
	int ret;

	*bad_lines_r = 0;
	if ((ret = standby_ledger_lines_open(state_dir, &lines, error_r)) <= 0)
		return ret;
	while ((line = standby_file_lines_next(lines)) != NULL) T_BEGIN {
		if (standby_ledger_parse_line(line, pool, &rec))
			array_push_back(records, &rec);
		else if (*line != '\0')
			(*bad_lines_r)++;
	} T_END;
	return standby_file_lines_close(&lines, error_r);
}

int standby_ledger_count(const char *state_dir, uintmax_t *count_r,
			 const char **error_r)
{
	struct standby_file_lines *lines;
	int ret;

	*count_r = 0;
	if ((ret = standby_ledger_lines_open(state_dir, &lines, error_r)) <= 0)
		return ret;
	while (standby_file_lines_next(lines) != NULL)
		(*count_r)++;
	return standby_file_lines_close(&lines, error_r);
}

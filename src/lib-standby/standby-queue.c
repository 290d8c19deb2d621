/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ioloop.h"
#include "istream.h"
#include "ostream.h"
#include "mkdir-parents.h"
#include "write-full.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-file.h"
#include "standby-missed.h"

#include <stdio.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#define STANDBY_QUEUE_MODE 0600
#define STANDBY_QUEUE_UNCERTAIN_MODE 0400
#define STANDBY_QUEUE_DIR_MODE 0700
/* The body size is written zero-padded and filled in after the copy, so
   that streams of unknown size can be queued in one pass. */
#define STANDBY_QUEUE_SIZE_WIDTH 20

struct standby_queue {
	char *dir;
	struct event *event;
};

static const char *standby_queue_dir_names[] = {
	[STANDBY_QUEUE_DIR_QUEUE] = "queue",
	[STANDBY_QUEUE_DIR_DEAD] = "dead",
};

struct standby_queue *
standby_queue_init(const char *state_dir, struct event *event_parent)
{
	struct standby_queue *queue;

	queue = i_new(struct standby_queue, 1);
	queue->dir = i_strdup(state_dir);
	queue->event = event_create(event_parent);
	event_add_category(queue->event, &event_category_standby);
	return queue;
}

void standby_queue_deinit(struct standby_queue **_queue)
{
	struct standby_queue *queue = *_queue;

	*_queue = NULL;
	event_unref(&queue->event);
	i_free(queue->dir);
	i_free(queue);
}

const char *standby_queue_get_dir(struct standby_queue *queue)
{
	return queue->dir;
}

static const char *
standby_queue_path(struct standby_queue *queue, const char *subdir,
		   const char *name)
{
	return name == NULL ? t_strconcat(queue->dir, "/", subdir, NULL) :
		t_strconcat(queue->dir, "/", subdir, "/", name, NULL);
}

static int standby_queue_mkdirs(struct standby_queue *queue,
				const char **error_r)
{
	static const char *const subdirs[] = { "tmp", "queue", "dead" };
	const char *error = NULL;
	unsigned int i;

	for (i = 0; i < N_ELEMENTS(subdirs); i++) {
		const char *path = standby_queue_path(queue, subdirs[i], NULL);

		if (mkdir_parents(path, STANDBY_QUEUE_DIR_MODE) < 0 &&
		    errno != EEXIST) {
			*error_r = t_strdup_printf(
				"mkdir(%s) failed: %m", path);
			return -1;
		}
	}
	/* the room to note what cannot be queued later, when the file
	   system is full (the worker makes it too, for older queues) */
	if (standby_missed_reserve(queue->dir, &error) < 0)
		e_warning(queue->event, "%s", error);
	return 0;
}

static int standby_fsync_dir(const char *path, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);

	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (fsync(fd) < 0) {
		*error_r = t_strdup_printf("fsync(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	i_close_fd(&fd);
	return 0;
}

static int
standby_queue_write_file(int fd, const char *path,
			 struct standby_entry *entry, struct istream *input,
			 const char **error_r)
{
	struct ostream *output;
	string_t *str;
	size_t size_pos;
	uoff_t start;
	char size_buf[STANDBY_QUEUE_SIZE_WIDTH + 1];

	str = t_str_new(512);
	entry->size = 0;
	if (standby_entry_write_header(str, entry, error_r) < 0)
		return -1;
	/* replace "size=0\n\n" with a fixed-width field, filled in below;
	   size_pos is where its digits start */
	size_pos = str_len(str) - strlen("0\n\n");
	str_truncate(str, size_pos);
	str_printfa(str, "%0*d\n\n", STANDBY_QUEUE_SIZE_WIDTH, 0);

	output = o_stream_create_fd_file(fd, 0, FALSE);
	o_stream_nsend(output, str_data(str), str_len(str));
	start = input->v_offset;
	o_stream_nsend_istream(output, input);
	entry->size = input->v_offset - start;
	str_truncate(str, 0);
	standby_entry_write_trailer(str, entry);
	o_stream_nsend(output, str_data(str), str_len(str));
	if (o_stream_finish(output) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %s", path,
					   o_stream_get_error(output));
		o_stream_destroy(&output);
		return -1;
	}
	o_stream_destroy(&output);

	i_snprintf(size_buf, sizeof(size_buf), "%0*"PRIuUOFF_T,
		   STANDBY_QUEUE_SIZE_WIDTH, entry->size);
	if (pwrite(fd, size_buf, STANDBY_QUEUE_SIZE_WIDTH,
		   size_pos) != STANDBY_QUEUE_SIZE_WIDTH) {
		*error_r = t_strdup_printf("pwrite(%s) failed: %m", path);
		return -1;
	}
	return 0;
}

int standby_queue_add(struct standby_queue *queue,
		      struct standby_entry *entry, struct istream *input,
		      const char **error_r)
{
	const char *tmp_path, *path;
	bool given_id = entry->id != NULL;
	int fd, ret;

	if (!given_id)
		entry->id = standby_entry_id_generate();
	tmp_path = standby_queue_path(queue, "tmp", entry->id);
	path = standby_queue_path(queue, "queue", entry->id);

	fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL, STANDBY_QUEUE_MODE);
	if (fd == -1 && errno == ENOENT) {
		if (standby_queue_mkdirs(queue, error_r) < 0)
			return -1;
		fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL,
			  STANDBY_QUEUE_MODE);
	} else if (fd == -1 && errno == EEXIST && given_id) {
		/* a given id: the part left by a writer of this same id
		   that was killed (no one else writes it) */
		i_unlink_if_exists(tmp_path);
		fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL,
			  STANDBY_QUEUE_MODE);
	}
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", tmp_path);
		return -1;
	}
	ret = standby_queue_write_file(fd, tmp_path, entry, input, error_r);
	if (ret == 0 && rename(tmp_path, path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   tmp_path, path);
		ret = -1;
	}
	if (ret < 0) {
		i_close_fd(&fd);
		i_unlink_if_exists(tmp_path);
		return -1;
	}
	/* The entry is complete before it is renamed, so no reader sees a
	   part of it; the syncs come after the rename, so that a journaling
	   file system commits the file and its name in one go (the
	   directory's fsync then finds nothing left to write) instead of
	   one commit each. A crash before they return can leave a torn
	   entry in the queue, which the drain sets aside as a dead letter:
	   the delivery or APPEND it belonged to had not succeeded yet. */
	if (fdatasync(fd) < 0) {
		*error_r = t_strdup_printf("fdatasync(%s) failed: %m", path);
		ret = -1;
	}
	if (close(fd) < 0 && ret == 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", path);
		ret = -1;
	}
	if (ret == 0) {
		ret = standby_fsync_dir(standby_queue_path(queue, "queue",
							   NULL), error_r);
	}
	if (ret < 0) {
		/* not known to be durable: the caller reports a failure,
		   so the entry must not be sent either */
		i_unlink_if_exists(path);
		return -1;
	}
	return 0;
}

static int standby_queue_item_cmp(const struct standby_queue_item *i1,
				  const struct standby_queue_item *i2)
{
	return strcmp(i1->id, i2->id);
}

int standby_queue_list(struct standby_queue *queue,
		       enum standby_queue_dir dir, pool_t pool,
		       ARRAY_TYPE(standby_queue_item) *items,
		       const char **error_r)
{
	const char *path = standby_queue_path(queue,
					      standby_queue_dir_names[dir],
					      NULL);
	struct standby_queue_item *item;
	struct dirent *d;
	struct stat st;
	DIR *dirp;
	int dfd;

	dirp = opendir(path);
	if (dirp == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("opendir(%s) failed: %m", path);
		return -1;
	}
	dfd = dirfd(dirp);
	errno = 0;
	while ((d = readdir(dirp)) != NULL) {
		if (!standby_entry_id_is_valid(d->d_name))
			continue;
		if (fstatat(dfd, d->d_name, &st, 0) < 0) {
			if (errno == ENOENT)
				continue;
			*error_r = t_strdup_printf("stat(%s/%s) failed: %m",
						   path, d->d_name);
			(void)closedir(dirp);
			return -1;
		}
		item = array_append_space(items);
		item->id = p_strdup(pool, d->d_name);
		item->next_attempt = st.st_mtime;
		item->uncertain = (st.st_mode & 0200) == 0;
		item->changed = st.st_ctime;
		item->file_size = st.st_size;
		errno = 0;
	}
	if (errno != 0) {
		*error_r = t_strdup_printf("readdir(%s) failed: %m", path);
		(void)closedir(dirp);
		return -1;
	}
	if (closedir(dirp) < 0) {
		*error_r = t_strdup_printf("closedir(%s) failed: %m", path);
		return -1;
	}
	array_sort(items, standby_queue_item_cmp);
	return 0;
}

int standby_queue_open(struct standby_queue *queue, const char *id,
		       pool_t pool, struct standby_queue_entry **qentry_r,
		       const char **error_r)
{
	struct standby_queue_entry *qentry;
	struct standby_entry *entry;
	const char *path = standby_queue_path(queue, "queue", id);
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (standby_entry_read(fd, path, pool, &entry, error_r) < 0 ||
	    fstat(fd, &st) < 0) {
		i_close_fd(&fd);
		return -1;
	}
	if (strcmp(entry->id, id) != 0) {
		*error_r = t_strdup_printf("%s: id mismatch (%s)",
					   path, entry->id);
		i_close_fd(&fd);
		return -1;
	}
	qentry = p_new(pool, struct standby_queue_entry, 1);
	qentry->entry = entry;
	qentry->path = p_strdup(pool, path);
	qentry->fd = fd;
	qentry->uncertain = (st.st_mode & 0200) == 0;
	*qentry_r = qentry;
	return 1;
}

void standby_queue_entry_close(struct standby_queue_entry **_qentry)
{
	struct standby_queue_entry *qentry = *_qentry;

	*_qentry = NULL;
	if (qentry->fd != -1)
		i_close_fd_path(&qentry->fd, qentry->path);
}

struct istream *
standby_queue_entry_get_body(struct standby_queue_entry *qentry)
{
	struct istream *input, *body;

	input = i_stream_create_fd(qentry->fd, IO_BLOCK_SIZE);
	body = i_stream_create_range(input, qentry->entry->body_offset,
				     qentry->entry->size);
	i_stream_unref(&input);
	return body;
}

int standby_queue_entry_set_uncertain(struct standby_queue_entry *qentry,
				      bool uncertain, const char **error_r)
{
	mode_t mode = uncertain ? STANDBY_QUEUE_UNCERTAIN_MODE :
		STANDBY_QUEUE_MODE;

	if (qentry->uncertain == uncertain && !uncertain)
		return 0;
	/* (a chmod to the same mode renews the ctime all the same) */
	if (fchmod(qentry->fd, mode) < 0) {
		*error_r = t_strdup_printf("fchmod(%s) failed: %m",
					   qentry->path);
		return -1;
	}
	qentry->uncertain = uncertain;
	return 0;
}

int standby_queue_defer_id(struct standby_queue *queue, const char *id,
			   time_t next_attempt, const char **error_r)
{
	const char *path = standby_queue_path(queue, "queue", id);
	struct utimbuf ut = {
		.actime = next_attempt,
		.modtime = next_attempt,
	};

	if (utime(path, &ut) < 0 && errno != ENOENT) {
		*error_r = t_strdup_printf("utime(%s) failed: %m", path);
		return -1;
	}
	return 0;
}

int standby_queue_remove_id(struct standby_queue *queue, const char *id,
			    const char **error_r)
{
	const char *path = standby_queue_path(queue, "queue", id);

	if (unlink(path) < 0 && errno != ENOENT) {
		*error_r = t_strdup_printf("unlink(%s) failed: %m", path);
		return -1;
	}
	return 0;
}

int standby_queue_kill_id(struct standby_queue *queue, const char *id,
			  const char *reason, const char **error_r)
{
	const char *path = standby_queue_path(queue, "queue", id);
	const char *dead_path = standby_queue_path(queue, "dead", id);

	if (standby_queue_mkdirs(queue, error_r) < 0)
		return -1;
	const char *reason_line = t_strdup_printf("%ld %s\n",
						  (long)ioloop_time, reason);
	if (standby_file_replace(t_strconcat(dead_path, ".reason", NULL),
				 reason_line, strlen(reason_line), TRUE, FALSE,
				 error_r) < 0)
		return -1;
	(void)chmod(path, STANDBY_QUEUE_MODE);
	if (rename(path, dead_path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   path, dead_path);
		return -1;
	}
	return standby_fsync_dir(standby_queue_path(queue, "dead", NULL),
				 error_r);
}

int standby_queue_revive_id(struct standby_queue *queue, const char *id,
			    const char **error_r)
{
	const char *path = standby_queue_path(queue, "queue", id);
	const char *dead_path = standby_queue_path(queue, "dead", id);

	if (rename(dead_path, path) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   dead_path, path);
		return -1;
	}
	i_unlink_if_exists(t_strconcat(dead_path, ".reason", NULL));
	if (standby_queue_defer_id(queue, id, ioloop_time, error_r) < 0)
		return -1;
	return standby_fsync_dir(standby_queue_path(queue, "queue", NULL),
				 error_r);
}

time_t standby_queue_next_attempt(const struct standby_settings *set,
				  time_t queued_time, time_t now)
{
	time_t delay = now - queued_time;

	/* as Postfix: the delay doubles with the age, within limits */
	if (delay < (time_t)set->min_backoff_secs)
		delay = set->min_backoff_secs;
	if (delay > (time_t)set->max_backoff_secs)
		delay = set->max_backoff_secs;
	return now + delay;
}

bool standby_queue_expired(const struct standby_settings *set,
			   time_t queued_time, time_t now)
{
	return now - queued_time >= (time_t)set->max_queue_lifetime_secs;
}

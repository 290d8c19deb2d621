/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "crc32.h"
#include "hostpid.h"
#include "ioloop.h"
#include "istream.h"
#include "mkdir-parents.h"
#include "write-full.h"
#include "standby-sent-capture.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define STANDBY_SENT_CAPTURE_MODE 0600
#define STANDBY_SENT_CAPTURE_DIR_MODE 0700
#define STANDBY_SENT_CAPTURE_TEMP_SUFFIX ".saving"

const char *standby_sent_capture_dir(const char *state_dir)
{
	return t_strconcat(state_dir, "/capture", NULL);
}

const char *standby_sent_capture_temp_path(const char *state_dir,
					   unsigned int transaction_id,
					   unsigned int save_index)
{
	return t_strdup_printf("%s/%s.%ld.%u.%u"
			       STANDBY_SENT_CAPTURE_TEMP_SUFFIX,
			       standby_sent_capture_dir(state_dir),
			       my_hostname, (long)getpid(), transaction_id,
			       save_index);
}

const char *standby_sent_capture_path(const char *state_dir,
				      const char *mailbox_vname,
				      uint32_t uid_validity, uint32_t uid)
{
	/* A user has one \Sent mailbox, but two sessions may save into two
	   mailboxes with the same UIDVALIDITY: the name's checksum keeps
	   their captures apart. */
	return t_strdup_printf("%s/%u.%u.%08x",
			       standby_sent_capture_dir(state_dir),
			       uid_validity, uid, crc32_str(mailbox_vname));
}

static int standby_sent_capture_create(const char *path, const char **error_r)
{
	const char *dir, *p;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
		  STANDBY_SENT_CAPTURE_MODE);
	if (fd == -1 && errno == ENOENT && (p = strrchr(path, '/')) != NULL) {
		dir = t_strdup_until(path, p);
		if (mkdir_parents(dir, STANDBY_SENT_CAPTURE_DIR_MODE) < 0 &&
		    errno != EEXIST) {
			*error_r = t_strdup_printf("mkdir(%s) failed: %m", dir);
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
			  STANDBY_SENT_CAPTURE_MODE);
	}
	if (fd == -1)
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
	return fd;
}

int standby_sent_capture_write(const char *path, struct istream *input,
			       const char **error_r)
{
	const unsigned char *data;
	size_t size;
	ssize_t ret;
	int fd;

	fd = standby_sent_capture_create(path, error_r);
	if (fd == -1)
		return -1;
	while ((ret = i_stream_read_more(input, &data, &size)) > 0) {
		if (write_full(fd, data, size) < 0) {
			*error_r = t_strdup_printf("write(%s) failed: %m",
						   path);
			break;
		}
		i_stream_skip(input, size);
	}
	if (ret != -1 || input->stream_errno != 0) {
		if (ret == 0) {
			/* a blocking stream from storage never returns 0 */
			*error_r = "Message stream is not blocking";
		} else if (ret == -1) {
			*error_r = t_strdup_printf("read(%s) failed: %s",
				i_stream_get_name(input),
				i_stream_get_error(input));
		}
		i_close_fd(&fd);
		i_unlink_if_exists(path);
		return -1;
	}
	if (close(fd) < 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", path);
		i_unlink_if_exists(path);
		return -1;
	}
	return 0;
}

int standby_sent_capture_open(const char *path, struct istream **input_r,
			      const char **error_r)
{
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	*input_r = i_stream_create_fd_autoclose(&fd, IO_BLOCK_SIZE);
	i_stream_set_name(*input_r, path);
	return 1;
}

void standby_sent_capture_cleanup(const char *state_dir, time_t max_age,
				  struct event *event)
{
	const char *dir = standby_sent_capture_dir(state_dir);
	struct dirent *d;
	struct stat st;
	DIR *dirp;

	dirp = opendir(dir);
	if (dirp == NULL) {
		if (errno != ENOENT)
			e_error(event, "opendir(%s) failed: %m", dir);
		return;
	}
	while ((d = readdir(dirp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		T_BEGIN {
			const char *path = t_strconcat(dir, "/",
						       d->d_name, NULL);
			if (stat(path, &st) == 0 &&
			    st.st_mtime < ioloop_time - max_age)
				i_unlink_if_exists(path);
		} T_END;
	}
	if (closedir(dirp) < 0)
		e_error(event, "closedir(%s) failed: %m", dir);
}

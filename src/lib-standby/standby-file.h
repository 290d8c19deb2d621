/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_FILE_H
#define STANDBY_FILE_H

/* The files under standby_state_dir, as files: opened, read by lines,
   replaced. The modules that own a file (ledger, status, copy map,
   failback state) know its format; this one knows how a file the user
   controls is touched. */

/* open(path, flags) with mode 0600 for O_CREAT: the one open() of every
   state file. It never blocks (O_NONBLOCK) nor follows a link at path
   (O_NOFOLLOW), and only accepts a regular file. Returns the fd, or -1
   with *error_r ("open(%s) failed: %m" form) and errno (ENOENT when the
   file does not exist). */
int standby_file_open(const char *path, int flags, const char **error_r);

/* Read a state file line by line:
	ret = standby_file_lines_open(path, max_size, &lines, error_r);
	if (ret <= 0)
		return ret;
	while ((line = standby_file_lines_next(lines)) != NULL) ...
	return standby_file_lines_close(&lines, error_r);
   open returns 1, 0 when the file does not exist (it reads as empty; no
   reader then), or -1 with *error_r. next returns a line without its LF,
   or NULL at the end or on an error; an unterminated last line (a torn
   append) is not returned. close returns 0, or -1 with *error_r when the
   read failed: an I/O error, a line longer than 64 KiB, or a file
   larger than max_size (0: no cap). */
struct standby_file_lines;
int standby_file_lines_open(const char *path, uoff_t max_size,
			    struct standby_file_lines **lines_r,
			    const char **error_r);
const char *standby_file_lines_next(struct standby_file_lines *lines);
int standby_file_lines_close(struct standby_file_lines **lines,
			     const char **error_r);

/* Replace path with data, atomically: written to a temp file next to it
   (one per host and process, so concurrent writers never share one),
   fdatasync'd when sync is TRUE, then renamed over path. Mode 0600. A
   missing parent directory is created (0700) when mkdir_parent is TRUE.
   Returns 0, or -1 with *error_r and errno; nothing is left behind on
   failure. */
int standby_file_replace(const char *path, const void *data, size_t size,
			 bool sync, bool mkdir_parent, const char **error_r);
/* Overwrite the existing file path with data in place, for when the file
   system is full and no new file fits: only when data fits in the blocks
   the file has already (else -1 with errno ENOSPC). Not atomic: a reader
   may see a mix of old and new for a moment. Returns 0, or -1 with
   *error_r. */
int standby_file_overwrite(const char *path, const void *data, size_t size,
			   const char **error_r);

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_FILE_H
#define STANDBY_FILE_H

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

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_FILE_H
#define STANDBY_FILE_H

/* Replace path with data, atomically: written to a temp file next to it
   (one per host and process, so concurrent writers never share one),
   fdatasync'd when sync is TRUE, then renamed over path. Mode 0600. A
   missing parent directory is created (0700) when mkdir_parent is TRUE.
   Returns 0, or -1 with *error_r; nothing is left behind on failure. */
int standby_file_replace(const char *path, const void *data, size_t size,
			 bool sync, bool mkdir_parent, const char **error_r);

#endif

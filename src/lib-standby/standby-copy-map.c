/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strescape.h"
#include "write-full.h"
#include "mkdir-parents.h"
#include "standby-file.h"
#include "standby-copy-map.h"

#include <fcntl.h>
#include <unistd.h>

#define STANDBY_COPY_MAP_NAME "copy-map"
/* no cap: a cache that grows with every restore and failback */
#define STANDBY_COPY_MAP_MAX_SIZE 0

int standby_copy_map_read(const char *state_dir, const char *folder,
			  uint32_t uidvalidity, pool_t pool,
			  ARRAY_TYPE(standby_copy_map_entry) *entries,
			  const char **error_r)
{
	const char *path = t_strconcat(state_dir, "/" STANDBY_COPY_MAP_NAME,
				       NULL);
	struct standby_copy_map_entry entry;
	struct standby_file_lines *lines;
	const char *line, *const *args;
	uint32_t uv;
	int ret;

	ret = standby_file_lines_open(path, STANDBY_COPY_MAP_MAX_SIZE, &lines,
				      error_r);
	if (ret <= 0)
		return ret;
	while ((line = standby_file_lines_next(lines)) != NULL) T_BEGIN {
		args = t_strsplit_tabescaped(line);
		i_zero(&entry);
		if (str_array_length(args) >= 5 &&
		    strcmp(args[0], folder) == 0 &&
		    str_to_uint32(args[1], &uv) == 0 && uv == uidvalidity &&
		    str_to_uint32(args[2], &entry.standby_uid) == 0 &&
		    str_to_uint32(args[4], &entry.primary_uid) == 0) {
			entry.primary_guid = p_strdup(pool, args[3]);
			array_push_back(entries, &entry);
		}
	} T_END;
	return standby_file_lines_close(&lines, error_r);
}

int standby_copy_map_append(const char *state_dir, const char *folder,
			    uint32_t uidvalidity,
			    const ARRAY_TYPE(standby_copy_map_entry) *entries,
			    const char **error_r)
{
	const char *path = t_strconcat(state_dir, "/" STANDBY_COPY_MAP_NAME,
				       NULL);
	const struct standby_copy_map_entry *entry;
	const char *folder_esc = str_tabescape(folder);
	string_t *data;
	int fd, ret = 0;

	if (array_count(entries) == 0)
		return 0;
	data = t_str_new(64 * array_count(entries));
	array_foreach(entries, entry) {
		str_printfa(data, "%s\t%u\t%u\t%s\t%u\n", folder_esc,
			    uidvalidity, entry->standby_uid,
			    entry->primary_guid, entry->primary_uid);
	}
	fd = standby_file_open(path, O_WRONLY | O_APPEND | O_CREAT, error_r);
	if (fd == -1 && errno == ENOENT) {
		if (mkdir_parents(state_dir, 0700) < 0 && errno != EEXIST) {
			*error_r = t_strdup_printf("mkdir(%s) failed: %m",
						   state_dir);
			return -1;
		}
		fd = standby_file_open(path, O_WRONLY | O_APPEND | O_CREAT,
				       error_r);
	}
	if (fd == -1)
		return -1;
	if (write_full(fd, str_data(data), str_len(data)) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", path);
		ret = -1;
	}
	if (close(fd) < 0 && ret == 0) {
		*error_r = t_strdup_printf("close(%s) failed: %m", path);
		ret = -1;
	}
	return ret;
}

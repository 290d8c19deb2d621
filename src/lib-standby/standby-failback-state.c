/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strescape.h"
#include "standby-failback-state.h"
#include "standby-file.h"

/* a line per standby folder */
#define STANDBY_FAILBACK_STATE_MAX_SIZE (16 * 1024 * 1024)

struct standby_failback_folder {
	const char *name;
	uint32_t uidvalidity, last_uid;
};

struct standby_failback_state {
	pool_t pool;
	const char *path;
	ARRAY(struct standby_failback_folder) folders;
};

int standby_failback_state_read(const char *state_dir,
				struct standby_failback_state **state_r,
				const char **error_r)
{
	struct standby_failback_state *state;
	struct standby_failback_folder *folder;
	struct standby_file_lines *lines;
	const char *line, *const *args;
	pool_t pool;
	int ret;

	pool = pool_alloconly_create("standby failback state", 1024);
	state = p_new(pool, struct standby_failback_state, 1);
	state->pool = pool;
	state->path = p_strconcat(pool, state_dir, "/failback", NULL);
	p_array_init(&state->folders, pool, 16);
	*state_r = state;

	ret = standby_file_lines_open(state->path,
				      STANDBY_FAILBACK_STATE_MAX_SIZE, &lines,
				      error_r);
	if (ret <= 0)
		return ret;
	while ((line = standby_file_lines_next(lines)) != NULL) {
		args = t_strsplit_tabescaped(line);
		if (str_array_length(args) < 3)
			continue;
		folder = array_append_space(&state->folders);
		folder->name = p_strdup(pool, args[0]);
		if (str_to_uint32(args[1], &folder->uidvalidity) < 0 ||
		    str_to_uint32(args[2], &folder->last_uid) < 0)
			array_pop_back(&state->folders);
	}
	return standby_file_lines_close(&lines, error_r);
}

void standby_failback_state_free(struct standby_failback_state **_state)
{
	struct standby_failback_state *state = *_state;

	if (state == NULL)
		return;
	*_state = NULL;
	pool_unref(&state->pool);
}

static struct standby_failback_folder *
standby_failback_state_find(struct standby_failback_state *state,
			    const char *name)
{
	struct standby_failback_folder *folder;

	array_foreach_modifiable(&state->folders, folder) {
		if (strcmp(folder->name, name) == 0)
			return folder;
	}
	return NULL;
}

uint32_t standby_failback_state_get(struct standby_failback_state *state,
				    const char *name, uint32_t uidvalidity)
{
	struct standby_failback_folder *folder =
		standby_failback_state_find(state, name);

	if (folder == NULL || folder->uidvalidity != uidvalidity)
		return 0;
	return folder->last_uid;
}

int standby_failback_state_set(struct standby_failback_state *state,
			       const char *name, uint32_t uidvalidity,
			       uint32_t last_uid, const char **error_r)
{
	struct standby_failback_folder *folder;
	const struct standby_failback_folder *f;
	string_t *data;

	folder = standby_failback_state_find(state, name);
	if (folder == NULL) {
		folder = array_append_space(&state->folders);
		folder->name = p_strdup(state->pool, name);
	}
	folder->uidvalidity = uidvalidity;
	folder->last_uid = last_uid;

	data = t_str_new(256);
	array_foreach(&state->folders, f) {
		str_printfa(data, "%s\t%u\t%u\n", str_tabescape(f->name),
			    f->uidvalidity, f->last_uid);
	}
	return standby_file_replace(state->path, str_data(data),
				    str_len(data), TRUE, TRUE, error_r);
}

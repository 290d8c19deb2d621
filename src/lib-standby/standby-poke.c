/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "net.h"
#include "write-full.h"
#include "standby-common.h"
#include "standby-poke.h"

#include <unistd.h>

/* The poke is best effort by design: the entry is already durable when we
   get here. The socket is non-blocking, and a line this short fits into
   the socket buffer of a fresh connection, so the delivering process
   never waits for the worker. */
int standby_poke(const char *base_dir, const char *username,
		 const char **error_r)
{
	const char *path = t_strconcat(base_dir, "/",
				       STANDBY_WORKER_SOCKET_NAME, NULL);
	const char *line = t_strdup_printf("POKE\t%s\n", username);
	ssize_t ret;
	int fd;

	if (strchr(username, '\n') != NULL || strchr(username, '\t') != NULL) {
		*error_r = "username contains control characters";
		return -1;
	}
	fd = net_connect_unix(path);
	if (fd == -1) {
		*error_r = t_strdup_printf("net_connect_unix(%s) failed: %m",
					   path);
		return -1;
	}
	ret = write(fd, line, strlen(line));
	if (ret != (ssize_t)strlen(line)) {
		*error_r = ret < 0 ?
			t_strdup_printf("write(%s) failed: %m", path) :
			t_strdup_printf("write(%s) was short", path);
		i_close_fd(&fd);
		return -1;
	}
	i_close_fd(&fd);
	return 0;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_COMMON_H
#define STANDBY_COMMON_H

#include "standby-version.h"

/* The one log/event category of the project: "standby". Every event the
   project sends is in it (or in a child of an event that is). */
extern struct event_category event_category_standby;

/* Direction of a mirrored message. */
enum standby_direction {
	STANDBY_DIRECTION_INCOMING = 0,
	STANDBY_DIRECTION_OUTGOING,
};

const char *standby_direction_to_str(enum standby_direction direction);
int standby_direction_parse(const char *str,
			    enum standby_direction *direction_r);

/* Name of the worker's UNIX socket, relative to base_dir. */
#define STANDBY_WORKER_SOCKET_NAME "standby-worker"

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "standby-common.h"

struct event_category event_category_standby = {
	.name = "standby",
};

const char *standby_direction_to_str(enum standby_direction direction)
{
	switch (direction) {
	case STANDBY_DIRECTION_INCOMING:
		return "incoming";
	case STANDBY_DIRECTION_OUTGOING:
		return "outgoing";
	}
	i_unreached();
}

int standby_direction_parse(const char *str,
			    enum standby_direction *direction_r)
{
	if (strcmp(str, "incoming") == 0)
		*direction_r = STANDBY_DIRECTION_INCOMING;
	else if (strcmp(str, "outgoing") == 0)
		*direction_r = STANDBY_DIRECTION_OUTGOING;
	else
		return -1;
	return 0;
}

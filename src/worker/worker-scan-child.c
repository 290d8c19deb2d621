/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-poke.h"
#include "standby-missed.h"
#include "worker-child.h"
#include "worker-lookup.h"
#include "worker-scan-child.h"

#include <unistd.h>
#include <sysexits.h>

/* Does the user have anything to drain? Pokes it if so. */
static bool
worker_scan_child_user(struct mail_user *user, const char *username,
		       struct event *event)
{
	const struct standby_settings *set;
	ARRAY_TYPE(standby_queue_item) items;
	struct standby_queue *queue;
	const char *error;
	bool found = FALSE;

	if (standby_settings_get_user(user, user->pool, &set, &error) <= 0)
		return FALSE;
	queue = standby_queue_init(set->state_dir, user->event);
	t_array_init(&items, 16);
	if ((standby_queue_list(queue, STANDBY_QUEUE_DIR_QUEUE,
				pool_datastack_create(), &items,
				&error) == 0 &&
	     array_count(&items) > 0) ||
	    standby_missed_any(set->state_dir)) {
		found = TRUE;
		if (standby_poke(user->set->base_dir, username, &error) < 0)
			e_error(event, "%s", error);
	}
	standby_queue_deinit(&queue);
	return found;
}

void worker_scan_child_run(struct mail_storage_service_ctx *storage_service,
			   struct event *event)
{
	struct mail_user *user;
	const char *username, *error;
	unsigned int users = 0, found = 0;
	int ret;

	worker_child_prepare();
	worker_lookup_all_init(storage_service);
	while ((ret = mail_storage_service_all_next(storage_service,
						    &username)) > 0) T_BEGIN {
		users++;
		if (worker_lookup_user(storage_service, username, TRUE,
				       &user, &error) > 0) {
			if (worker_scan_child_user(user, username, event))
				found++;
			mail_user_deinit(&user);
		}
	} T_END;
	if (ret < 0)
		e_error(event, "Iterating the userdb failed");
	e_debug(event, "Scan: %u users, %u with queued entries",
		users, found);
	_exit(ret < 0 ? EX_TEMPFAIL : EX_OK);
}

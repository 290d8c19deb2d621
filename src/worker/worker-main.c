/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* standby-worker: the Dovecot service that drains users' standby queues.
   Started by Dovecot's master (service standby-worker in 90-standby.conf);
   woken by pokes on its socket, and scanning all queues at start. */

#include "lib.h"
#include "restrict-access.h"
#include "child-wait.h"
#include "master-service.h"
#include "mail-storage-service.h"
#include "standby-common.h"
#include "worker-lookup.h"
#include "worker-scheduler.h"
#include "worker-poke-listener.h"

static struct mail_storage_service_ctx *storage_service;

static void client_connected(struct master_service_connection *conn)
{
	worker_poke_listener_accept(conn);
}

int main(int argc, char *argv[])
{
	enum mail_storage_service_flags storage_service_flags =
		MAIL_STORAGE_SERVICE_FLAG_USERDB_LOOKUP |
		MAIL_STORAGE_SERVICE_FLAG_NO_IDLE_TIMEOUT |
		MAIL_STORAGE_SERVICE_FLAG_NO_PLUGINS;

	master_service = master_service_init("standby-worker",
					     MASTER_SERVICE_FLAG_NO_IDLE_DIE,
					     &argc, &argv, "");
	if (master_getopt(master_service) > 0)
		return FATAL_DEFAULT;
	master_service_init_log_with_pid(master_service);
	restrict_access_by_env(RESTRICT_ACCESS_FLAG_ALLOW_ROOT, NULL);
	restrict_access_allow_coredumps(TRUE);

	storage_service = worker_lookup_service_init(storage_service_flags);
	child_wait_init();
	master_service_init_finish(master_service);
	i_info("standby: version %s (standby-worker started)",
	       STANDBY_VERSION);
	worker_scheduler_init(storage_service);

	master_service_run(master_service, client_connected);

	worker_poke_listener_deinit();
	worker_scheduler_deinit();
	child_wait_deinit();
	mail_storage_service_deinit(&storage_service);
	master_service_deinit(&master_service);
	return 0;
}

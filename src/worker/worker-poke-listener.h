/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef WORKER_POKE_LISTENER_H
#define WORKER_POKE_LISTENER_H

struct master_service_connection;

/* A connection to the standby-worker socket: reads "POKE\t<user>" lines
   and hands them to the scheduler. */
void worker_poke_listener_accept(struct master_service_connection *conn);
void worker_poke_listener_deinit(void);

#endif

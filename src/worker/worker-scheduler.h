/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef WORKER_SCHEDULER_H
#define WORKER_SCHEDULER_H

struct mail_storage_service_ctx;

/* The scheduler runs in the worker's main process, which never touches a
   user's files: each drain runs in a child process that takes the user's
   identity for good (as Postfix's delivery agents do), so one user's queue
   and credentials are never in a process that serves another user. */

void worker_scheduler_init(struct mail_storage_service_ctx *storage_service);
void worker_scheduler_deinit(void);

/* A user's queue has new entries: drain it as soon as a slot is free. */
void worker_scheduler_poke(const char *username);

#endif

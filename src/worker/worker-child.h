/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef WORKER_CHILD_H
#define WORKER_CHILD_H

#include <signal.h>

/* Sent to the drains when a user waits for a slot: a drain lingers on
   while its user's mail keeps coming, and would keep the slot for good. */
#define WORKER_SIG_YIELD SIGUSR2

/* What every child of the worker does first after fork(): log as a
   process of its own, act on WORKER_SIG_YIELD and end on SIGTERM, run a
   loop of its own and let go of the worker's listeners. */
void worker_child_prepare(void);

#endif

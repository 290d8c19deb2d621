/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "ioloop.h"
#include "hostpid.h"
#include "master-service.h"
#include "master-interface.h"
#include "standby-drain.h"
#include "worker-child.h"

#include <unistd.h>

static void worker_child_sig_yield(int signo ATTR_UNUSED)
{
	standby_drain_request_yield();
}

void worker_child_prepare(void)
{
	/* Log as a process of its own: the log service keeps the log
	   prefix (which names the user) per pid, so a child writing with
	   the parent's pid would change the prefix of the parent's and the
	   other children's lines. */
	struct sigaction act;
	unsigned int i, count;

	hostpid_init();
	i_set_failure_prefix("%s(%s): ",
			     master_service_get_name(master_service), my_pid);
	/* the parent ignores it, and so did this process until now: a
	   signal that came too early is lost, the parent repeats it */
	i_zero(&act);
	act.sa_handler = worker_child_sig_yield;
	sigemptyset(&act.sa_mask);
	act.sa_flags = SA_RESTART;
	if (sigaction(WORKER_SIG_YIELD, &act, NULL) < 0)
		i_error("sigaction(SIGUSR2) failed: %m");
	/* The worker's SIGTERM handler stops the worker's loop, which the
	   child never runs: let a stopping worker end its drains. The
	   queue copes with an end at any moment (as with a crash). */
	act.sa_handler = SIG_DFL;
	act.sa_flags = 0;
	if (sigaction(SIGTERM, &act, NULL) < 0)
		i_error("sigaction(SIGTERM) failed: %m");
	/* The child gets a loop of its own: it must not serve the parent's
	   listeners and timers. */
	(void)io_loop_create();
	/* Nor keep the listeners open: a drain that outlives its worker
	   (killed, or Dovecot stopped) would make a restarted master
	   refuse to start ("Socket already exists"). */
	count = master_service_get_socket_count(master_service);
	for (i = 0; i < count; i++) {
		if (close(MASTER_LISTEN_FD_FIRST + i) < 0)
			i_error("close(listener) failed: %m");
	}
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "hash.h"
#include "ioloop.h"
#include "fd-util.h"
#include "child-wait.h"
#include "lib-signals.h"
#include "standby-common.h"
#include "worker-child.h"
#include "worker-drain-child.h"
#include "worker-scan-child.h"
#include "worker-scheduler.h"

#include <unistd.h>
#include <sysexits.h>
#include <signal.h>

/* Drains that may run at the same time (one child process each). */
#define WORKER_MAX_PARALLEL 4
/* A safety net for pokes that never arrived (worker down while mail was
   queued): every user's queue is looked at this often, and at start. */
#define WORKER_SCAN_INTERVAL_SECS (10*60)
/* Retry a user whose drain child failed (crashed, lookup failed). */
#define WORKER_CHILD_FAILURE_RETRY_SECS 10

struct worker_user {
	char *username;
	/* when the next drain is due; 0 = nothing to do */
	time_t due;
	pid_t pid;
	int result_fd;
	/* poked while its drain was running: run again right after */
	bool again;
	/* the last drain failed: pokes wait for the backoff (as Postfix
	   does not hammer a destination it knows is down) */
	bool failing;
	/* its drain was asked to give up its slot (WORKER_SIG_YIELD) */
	bool yield_requested;
};

static struct mail_storage_service_ctx *worker_storage_service;
static HASH_TABLE(char *, struct worker_user *) worker_users;
static struct child_wait *worker_child_wait;
static struct timeout *worker_to_due, *worker_to_scan;
static unsigned int worker_running;
static pid_t worker_scan_pid;
static struct event *worker_event;

static void worker_schedule(void);

static struct worker_user *worker_user_get(const char *username)
{
	struct worker_user *wuser;

	wuser = hash_table_lookup(worker_users, username);
	if (wuser == NULL) {
		wuser = i_new(struct worker_user, 1);
		wuser->username = i_strdup(username);
		wuser->result_fd = -1;
		hash_table_insert(worker_users, wuser->username, wuser);
	}
	return wuser;
}

static void worker_user_free(struct worker_user *wuser)
{
	hash_table_remove(worker_users, wuser->username);
	i_free(wuser->username);
	i_free(wuser);
}

static void worker_user_start(struct worker_user *wuser)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0) {
		e_error(worker_event, "pipe() failed: %m");
		return;
	}
	fd_set_nonblock(fds[1], TRUE);
	pid = fork();
	if (pid < 0) {
		e_error(worker_event, "fork() failed: %m");
		i_close_fd(&fds[0]);
		i_close_fd(&fds[1]);
		return;
	}
	if (pid == 0) {
		i_close_fd(&fds[0]);
		worker_drain_child_run(worker_storage_service, worker_event,
				       wuser->username, fds[1]);
	}
	i_close_fd(&fds[1]);
	wuser->pid = pid;
	wuser->result_fd = fds[0];
	wuser->due = 0;
	wuser->again = FALSE;
	wuser->yield_requested = FALSE;
	worker_running++;
	child_wait_add_pid(worker_child_wait, pid);
	e_debug(worker_event, "Draining %s (pid %ld)", wuser->username,
		(long)pid);
}

static void worker_user_finished(struct worker_user *wuser, int status)
{
	struct worker_drain_child_result result;
	char buf[128];
	ssize_t ret;

	ret = read(wuser->result_fd, buf, sizeof(buf) - 1);
	i_close_fd(&wuser->result_fd);
	wuser->pid = 0;
	worker_running--;

	buf[ret > 0 ? ret : 0] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == EX_NOUSER) {
		/* a poke for a user the userdb does not know: nothing to
		   retry, and nothing to keep (pokes come from anybody) */
		wuser->due = 0;
		wuser->failing = FALSE;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != EX_OK ||
		   !worker_drain_child_result_parse(buf, &result)) {
		e_error(worker_event, "Drain of %s failed (status %d), "
			"retrying in %d s", wuser->username, status,
			WORKER_CHILD_FAILURE_RETRY_SECS);
		wuser->due = ioloop_time + WORKER_CHILD_FAILURE_RETRY_SECS;
		wuser->failing = TRUE;
	} else if (result.remaining == 0) {
		wuser->due = 0;
		wuser->failing = FALSE;
	} else {
		wuser->due = I_MAX(result.next_attempt, ioloop_time);
		wuser->failing = result.failing;
	}
	if (wuser->again && !wuser->failing)
		wuser->due = ioloop_time;
	if (wuser->yield_requested && wuser->due == ioloop_time) {
		/* it gave up its slot for the users waiting: after them */
		wuser->due++;
	}
	wuser->yield_requested = FALSE;
	if (wuser->due == 0)
		worker_user_free(wuser);
}

static void worker_child_exited(const struct child_wait_status *status,
				void *context ATTR_UNUSED)
{
	struct hash_iterate_context *iter;
	struct worker_user *wuser, *found = NULL;
	char *username;

	/* child-wait has already forgotten the pid */
	if (status->pid == worker_scan_pid) {
		worker_scan_pid = 0;
		worker_running--;
		worker_schedule();
		return;
	}
	iter = hash_table_iterate_init(worker_users);
	while (hash_table_iterate(iter, worker_users, &username, &wuser)) {
		if (wuser->pid == status->pid) {
			found = wuser;
			break;
		}
	}
	hash_table_iterate_deinit(&iter);
	if (found != NULL)
		worker_user_finished(found, status->status);
	worker_schedule();
}

static void worker_due_timeout(void *context ATTR_UNUSED)
{
	timeout_remove(&worker_to_due);
	worker_schedule();
}

/* A user is due and every slot is taken: ask the drains to end after
   the batch at hand (at most once per drain; scan children are left
   alone). The one that yields goes behind the users waiting. */
static void worker_request_yield(void)
{
	struct hash_iterate_context *iter;
	struct worker_user *wuser;
	char *username;

	iter = hash_table_iterate_init(worker_users);
	while (hash_table_iterate(iter, worker_users, &username, &wuser)) {
		if (wuser->pid == 0 || wuser->yield_requested)
			continue;
		if (kill(wuser->pid, WORKER_SIG_YIELD) < 0) {
			if (errno != ESRCH) {
				e_error(worker_event, "kill(%ld) failed: %m",
					(long)wuser->pid);
			}
			continue;
		}
		wuser->yield_requested = TRUE;
		e_debug(worker_event, "Asked the drain of %s to make room",
			wuser->username);
	}
	hash_table_iterate_deinit(&iter);
}

/* Start what is due while slots are free; arm the timer for the rest. */
static void worker_schedule(void)
{
	struct hash_iterate_context *iter;
	struct worker_user *wuser, *next = NULL;
	char *username;
	time_t next_due = 0;
	bool started;

	do {
		started = FALSE;
		next = NULL;
		next_due = 0;
		iter = hash_table_iterate_init(worker_users);
		while (hash_table_iterate(iter, worker_users,
					  &username, &wuser)) {
			if (wuser->pid != 0 || wuser->due == 0)
				continue;
			if (next == NULL || wuser->due < next->due)
				next = wuser;
		}
		hash_table_iterate_deinit(&iter);
		if (next == NULL)
			break;
		if (next->due <= ioloop_time &&
		    worker_running < WORKER_MAX_PARALLEL) {
			worker_user_start(next);
			started = next->pid != 0;
		} else {
			next_due = next->due;
		}
	} while (started);
	if (next != NULL && next->due <= ioloop_time)
		worker_request_yield();

	timeout_remove(&worker_to_due);
	if (next_due != 0 && worker_running < WORKER_MAX_PARALLEL) {
		worker_to_due = timeout_add(
			(next_due - ioloop_time) * 1000 + 10,
			worker_due_timeout, NULL);
	}
}

void worker_scheduler_poke(const char *username)
{
	struct worker_user *wuser = worker_user_get(username);

	if (wuser->pid != 0)
		wuser->again = TRUE;
	else if (!wuser->failing || wuser->due == 0)
		wuser->due = ioloop_time;
	worker_schedule();
}

static void worker_scan_start(void *context ATTR_UNUSED)
{
	pid_t pid;

	if (worker_scan_pid != 0)
		return;
	pid = fork();
	if (pid < 0) {
		e_error(worker_event, "fork() failed: %m");
		return;
	}
	if (pid == 0)
		worker_scan_child_run(worker_storage_service, worker_event);
	worker_scan_pid = pid;
	worker_running++;
	child_wait_add_pid(worker_child_wait, pid);
}

void worker_scheduler_init(struct mail_storage_service_ctx *storage_service)
{
	worker_storage_service = storage_service;
	worker_event = event_create(NULL);
	event_add_category(worker_event, &event_category_standby);
	event_set_append_log_prefix(worker_event, "standby-worker: ");
	hash_table_create(&worker_users, default_pool, 0, str_hash, strcmp);
	/* only the drain children act on it (worker_child_prepare()) */
	lib_signals_ignore(WORKER_SIG_YIELD, TRUE);
	worker_child_wait = child_wait_new(worker_child_exited, NULL);
	worker_to_scan = timeout_add(WORKER_SCAN_INTERVAL_SECS * 1000,
				     worker_scan_start, NULL);
	worker_scan_start(NULL);
}

void worker_scheduler_deinit(void)
{
	struct hash_iterate_context *iter;
	struct worker_user *wuser;
	char *username;

	timeout_remove(&worker_to_scan);
	timeout_remove(&worker_to_due);
	child_wait_free(&worker_child_wait);
	/* Dovecot is stopping (or the worker restarting): the drains end
	   with it, as Dovecot's own processes do */
	if (worker_scan_pid != 0)
		(void)kill(worker_scan_pid, SIGTERM);
	iter = hash_table_iterate_init(worker_users);
	while (hash_table_iterate(iter, worker_users, &username, &wuser)) {
		if (wuser->pid != 0 && kill(wuser->pid, SIGTERM) < 0 &&
		    errno != ESRCH)
			e_error(worker_event, "kill(%ld) failed: %m",
				(long)wuser->pid);
		i_close_fd(&wuser->result_fd);
		i_free(wuser->username);
		i_free(wuser);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&worker_users);
	event_unref(&worker_event);
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "ioloop.h"
#include "hostpid.h"
#include "str-sanitize.h"
#include "fd-util.h"
#include "child-wait.h"
#include "lib-signals.h"
#include "master-service.h"
#include "master-interface.h"
#include "mail-user.h"
#include "mail-storage-service.h"
#include "standby-common.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-poke.h"
#include "standby-drain.h"
#include "standby-missed.h"
#include "standby-requeue.h"
#include "worker-scheduler.h"

#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
#include <sysexits.h>
#include <signal.h>

/* Drains that may run at the same time (one child process each). */
#define WORKER_MAX_PARALLEL 4
/* Sent to the drains when a user waits for a slot: a drain lingers on
   while its user's mail keeps coming, and would keep the slot for good. */
#define WORKER_SIG_YIELD SIGUSR2
/* A safety net for pokes that never arrived (worker down while mail was
   queued): every user's queue is looked at this often, and at start. */
#define WORKER_SCAN_INTERVAL_SECS (10*60)
/* Retry a user whose drain child failed (crashed, lookup failed). */
#define WORKER_CHILD_FAILURE_RETRY_SECS 10
/* Retry the missed list while it cannot be queued (file system full) */
#define WORKER_MISSED_RETRY_SECS 10

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

static void worker_child_sig_yield(int signo ATTR_UNUSED)
{
	standby_drain_request_yield();
}

static void worker_child_prepare(void)
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

static void worker_child_report(int result_fd, const char *line)
{
	/* a short line into an empty pipe: never blocks, never short */
	if (write(result_fd, line, strlen(line)) >= 0)
		return;
	if (errno == EPIPE) {
		/* the worker stopped meanwhile (Dovecot reloaded or shut
		   down); the next one finds the queue as this drain left
		   it */
		e_debug(worker_event, "Worker gone, drain result not passed on");
	} else {
		e_error(worker_event, "write(result pipe) failed: %m");
	}
}

/* Queue again what rules mirrored but what could not be queued then (the
   missed list, standby-missed.h), now that the drain has made room, and
   send it. Only a drain child does this, and the scheduler runs one per
   user at a time, so two processes never queue the same record (one
   killed between queueing and dropping it leaves records whose ids the
   next run finds queued: see standby_requeue_missed()). Records that are
   left (the queue still cannot be written) are retried with the queue. */
static void
worker_child_missed(struct mail_user *user, const struct standby_settings *set,
		    struct standby_drain_result *result)
{
	const char *error;
	unsigned int left;
	int queued;

	if (standby_missed_reserve(set->state_dir, &error) < 0)
		e_warning(user->event, "standby: %s", error);
	if (!standby_missed_any(set->state_dir))
		return;
	queued = standby_requeue_missed(user, set->state_dir, user->event,
					&left, &error);
	if (queued < 0)
		e_error(user->event, "standby: %s", error);
	if (queued > 0) {
		e_info(user->event, "standby: Queued %d messages again that "
		       "could not be queued before", queued);
		if (standby_drain_run(set, user->username, user->event, 0,
				      result, &error) < 0)
			e_error(user->event, "standby: %s", error);
	}
	if (left > 0) {
		time_t retry = ioloop_time + WORKER_MISSED_RETRY_SECS;

		result->remaining += left;
		if (result->next_attempt == 0 || result->next_attempt > retry)
			result->next_attempt = retry;
	}
}

static void ATTR_NORETURN
worker_child_drain(const char *username, int result_fd)
{
	struct mail_storage_service_input input;
	struct mail_storage_service_user *service_user;
	struct standby_drain_result result;
	const struct standby_settings *set;
	struct mail_user *user;
	const char *error;
	int ret, exit_code = EX_OK;

	worker_child_prepare();
	i_zero(&input);
	input.module = "mail";
	input.service = "standby-worker";
	input.username = username;
	ret = mail_storage_service_lookup_next(worker_storage_service, &input,
					       &service_user, &user, &error);
	if (ret == 0) {
		/* the poke socket is open to every local process */
		e_error(worker_event, "User %s lookup failed: Unknown user "
			"(not retried)", str_sanitize(username, 128));
		_exit(EX_NOUSER);
	}
	if (ret < 0) {
		e_error(worker_event, "User %s lookup failed: %s",
			str_sanitize(username, 128), error);
		_exit(EX_TEMPFAIL);
	}
	ret = standby_settings_get_user(user, user->pool, &set, &error);
	if (ret < 0) {
		e_error(user->event, "standby: Invalid settings: %s", error);
		exit_code = EX_CONFIG;
	} else if (ret == 0) {
		e_debug(user->event, "standby: Not configured for this user");
		worker_child_report(result_fd, "0\t0\t0\n");
	} else if (standby_drain_run(set, username, user->event,
				     STANDBY_DRAIN_FLAG_LINGER,
				     &result, &error) < 0) {
		e_error(user->event, "standby: %s", error);
		exit_code = EX_TEMPFAIL;
	} else {
		worker_child_missed(user, set, &result);
		/* "failing" when the standby did not take what was due:
		   new mail then waits for the backoff too */
		worker_child_report(result_fd, t_strdup_printf(
			"%u\t%ld\t%d\n", result.remaining,
			(long)result.next_attempt,
			result.error != NULL && !result.busy ? 1 : 0));
	}
	mail_user_deinit(&user);
	mail_storage_service_user_unref(&service_user);
	_exit(exit_code);
}

/* Look through every user's queue: poke the users with entries (or
   with messages in the missed list). */
static void ATTR_NORETURN worker_child_scan(void)
{
	struct mail_storage_service_input input;
	struct mail_storage_service_user *service_user;
	const struct standby_settings *set;
	struct mail_user *user;
	const char *username, *error;
	unsigned int users = 0, found = 0;
	int ret;

	worker_child_prepare();
	mail_storage_service_all_init_mask(worker_storage_service, "");
	while ((ret = mail_storage_service_all_next(worker_storage_service,
						    &username)) > 0) T_BEGIN {
		i_zero(&input);
		input.module = "mail";
		input.service = "standby-worker";
		input.username = username;
		input.flags_override_add =
			MAIL_STORAGE_SERVICE_FLAG_TEMP_PRIV_DROP |
			MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES;
		users++;
		if (mail_storage_service_lookup_next(worker_storage_service,
						     &input, &service_user,
						     &user, &error) > 0) {
			if (standby_settings_get_user(user, user->pool, &set, &error) > 0) {
				ARRAY_TYPE(standby_queue_item) items;
				struct standby_queue *queue =
					standby_queue_init(set->state_dir,
							   user->event);

				t_array_init(&items, 16);
				if ((standby_queue_list(queue,
						STANDBY_QUEUE_DIR_QUEUE,
						pool_datastack_create(),
						&items, &error) == 0 &&
				     array_count(&items) > 0) ||
				    standby_missed_any(set->state_dir)) {
					found++;
					if (standby_poke(
						user->set->base_dir, username,
						&error) < 0)
						e_error(worker_event, "%s",
							error);
				}
				standby_queue_deinit(&queue);
			}
			mail_user_deinit(&user);
			mail_storage_service_user_unref(&service_user);
		}
	} T_END;
	if (ret < 0)
		e_error(worker_event, "Iterating the userdb failed");
	e_debug(worker_event, "Scan: %u users, %u with queued entries",
		users, found);
	_exit(ret < 0 ? EX_TEMPFAIL : EX_OK);
}

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
		worker_child_drain(wuser->username, fds[1]);
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
	char buf[128];
	unsigned int remaining;
	long next_attempt;
	int failing;
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
	    sscanf(buf, "%u\t%ld\t%d", &remaining, &next_attempt,
		   &failing) != 3) {
		e_error(worker_event, "Drain of %s failed (status %d), "
			"retrying in %d s", wuser->username, status,
			WORKER_CHILD_FAILURE_RETRY_SECS);
		wuser->due = ioloop_time + WORKER_CHILD_FAILURE_RETRY_SECS;
		wuser->failing = TRUE;
	} else if (remaining == 0) {
		wuser->due = 0;
		wuser->failing = FALSE;
	} else {
		wuser->due = I_MAX((time_t)next_attempt, ioloop_time);
		wuser->failing = failing != 0;
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
		worker_child_scan();
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

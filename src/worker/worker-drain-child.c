/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "ioloop.h"
#include "str-sanitize.h"
#include "mail-user.h"
#include "standby-settings.h"
#include "standby-drain.h"
#include "standby-missed.h"
#include "standby-requeue.h"
#include "worker-child.h"
#include "worker-lookup.h"
#include "worker-drain-child.h"

#include <stdio.h>
#include <unistd.h>
#include <sysexits.h>

/* Retry the missed list while it cannot be queued (file system full) */
#define WORKER_MISSED_RETRY_SECS 10

static void
worker_drain_child_report(struct event *event, int result_fd,
			  const char *line)
{
	/* a short line into an empty pipe: never blocks, never short */
	if (write(result_fd, line, strlen(line)) >= 0)
		return;
	if (errno == EPIPE) {
		/* the worker stopped meanwhile (Dovecot reloaded or shut
		   down); the next one finds the queue as this drain left
		   it */
		e_debug(event, "Worker gone, drain result not passed on");
	} else {
		e_error(event, "write(result pipe) failed: %m");
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
worker_drain_child_missed(struct mail_user *user,
			  const struct standby_settings *set,
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

void worker_drain_child_run(struct mail_storage_service_ctx *storage_service,
			    struct event *event, const char *username,
			    int result_fd)
{
	struct standby_drain_result result;
	const struct standby_settings *set;
	struct mail_user *user;
	const char *error;
	int ret, exit_code = EX_OK;

	worker_child_prepare();
	ret = worker_lookup_user(storage_service, username, FALSE,
				 &user, &error);
	if (ret == 0) {
		/* the poke socket is open to every local process */
		e_error(event, "User %s lookup failed: Unknown user "
			"(not retried)", str_sanitize(username, 128));
		_exit(EX_NOUSER);
	}
	if (ret < 0) {
		e_error(event, "User %s lookup failed: %s",
			str_sanitize(username, 128), error);
		_exit(EX_TEMPFAIL);
	}
	ret = standby_settings_get_user(user, user->pool, &set, &error);
	if (ret < 0) {
		e_error(user->event, "standby: Invalid settings: %s", error);
		exit_code = EX_CONFIG;
	} else if (ret == 0) {
		e_debug(user->event, "standby: Not configured for this user");
		worker_drain_child_report(event, result_fd, "0\t0\t0\n");
	} else if (standby_drain_run(set, username, user->event,
				     STANDBY_DRAIN_FLAG_LINGER,
				     &result, &error) < 0) {
		e_error(user->event, "standby: %s", error);
		exit_code = EX_TEMPFAIL;
	} else {
		worker_drain_child_missed(user, set, &result);
		/* "failing" when the standby did not take what was due:
		   new mail then waits for the backoff too */
		worker_drain_child_report(event, result_fd, t_strdup_printf(
			"%u\t%ld\t%d\n", result.remaining,
			(long)result.next_attempt,
			result.error != NULL && !result.busy ? 1 : 0));
	}
	mail_user_deinit(&user);
	_exit(exit_code);
}

bool worker_drain_child_result_parse(
	const char *line, struct worker_drain_child_result *result_r)
{
	unsigned int remaining;
	long next_attempt;
	int failing;

	if (sscanf(line, "%u\t%ld\t%d", &remaining, &next_attempt,
		   &failing) != 3)
		return FALSE;
	result_r->remaining = remaining;
	result_r->next_attempt = (time_t)next_attempt;
	result_r->failing = failing != 0;
	return TRUE;
}

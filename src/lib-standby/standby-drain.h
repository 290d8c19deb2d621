/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_DRAIN_H
#define STANDBY_DRAIN_H

struct standby_settings;

struct standby_drain_result {
	unsigned int sent;	/* accepted by the standby */
	unsigned int deferred;	/* left queued for a later attempt */
	unsigned int killed;	/* moved to dead/ */
	unsigned int remaining;	/* still queued afterwards */
	/* earliest next attempt among the remaining (0 = none) */
	time_t next_attempt;
	/* when the oldest of the remaining was queued (0 = none) */
	time_t oldest_queued;
	/* the last error, or NULL */
	const char *error;
	/* another process is draining this user's queue right now: nothing
	   was done, try again shortly */
	bool busy;
};

enum standby_drain_flags {
	/* Send entries whose next attempt is not yet due as well */
	STANDBY_DRAIN_FLAG_FORCE = 0x01,
	/* Wait for another process's drain of the same user to finish
	   instead of returning busy */
	STANDBY_DRAIN_FLAG_WAIT = 0x02,
	/* After the queue is empty, keep the connection for a moment and
	   send what arrives meanwhile (the worker: mail comes in bursts).
	   Such a run ends early when standby_drain_request_yield() was
	   called. */
	STANDBY_DRAIN_FLAG_LINGER = 0x04,
};

/* Async-signal-safe: other users wait for this process's slot, so a
   lingering drain ends after the batch at hand (entries left stay
   queued, due). */
void standby_drain_request_yield(void);

/* Send one user's due queue entries to the standby, in queue order; the
   core of the worker and of `doveadm standby flush`. Only one process
   drains a user's queue at a time (flock on <state_dir>/drain.lock): a
   drain that finds it taken sets result->busy. Returns 0 when the
   run finished (entries may still be deferred: see result), -1 when the
   queue itself could not be read. Each finished run sends the event
   standby_drain_finished (see README.md, Monitoring). */
int standby_drain_run(const struct standby_settings *set,
		      const char *username, struct event *event_parent,
		      enum standby_drain_flags flags,
		      struct standby_drain_result *result_r,
		      const char **error_r);

#endif

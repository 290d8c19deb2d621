/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef WORKER_DRAIN_CHILD_H
#define WORKER_DRAIN_CHILD_H

struct mail_storage_service_ctx;

/* What a drain child tells the scheduler through its result pipe. */
struct worker_drain_child_result {
	/* entries still queued */
	unsigned int remaining;
	/* when to try them again */
	time_t next_attempt;
	/* the standby did not take what was due */
	bool failing;
};

/* The drain child of one user, after fork(): takes the user's identity
   for good, drains the queue (and the missed list), writes one result
   line into result_fd and exits: EX_OK (with the result line), EX_NOUSER
   (the userdb does not know the user), EX_TEMPFAIL or EX_CONFIG. */
void ATTR_NORETURN
worker_drain_child_run(struct mail_storage_service_ctx *storage_service,
		       struct event *event, const char *username,
		       int result_fd);

/* Parse the line a drain child wrote. Returns FALSE when it is not one. */
bool worker_drain_child_result_parse(
	const char *line, struct worker_drain_child_result *result_r);

#endif

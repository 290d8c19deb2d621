/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_ENQUEUE_H
#define STANDBY_ENQUEUE_H

#include "standby-common.h"

struct istream;
struct standby_settings;

/* Enqueueing a mirrored message: what happens to a message a rule chose,
   delivered (LMTP, LDA) or sent (IMAP APPEND/COPY into \Sent) alike.
   The queue entry is written; when it cannot be (a full file system,
   permissions), the message is noted in the missed list so that the
   worker queues it again later, and the failure is counted in the
   user's status. The worker is poked either way. Nothing here fails the
   caller: mirroring must never fail a delivery or a save. */

struct standby_enqueue_request {
	const struct standby_settings *set;
	const char *username;
	/* the user's base_dir, where the worker's socket is */
	const char *base_dir;

	/* "" = the default folder of the direction */
	const char *mailbox;
	/* NULL-terminated, never NULL */
	const char *const *flags;
	enum standby_direction direction;
	time_t internal_date;

	/* The message, read from its start (the caller keeps its
	   reference), or NULL when it could not be read: then input_error
	   says why, and the message is not mirrored. */
	struct istream *input;
	const char *input_error;
};

enum standby_enqueue_status {
	/* the queue entry is written */
	STANDBY_ENQUEUE_QUEUED = 0,
	/* not queued, but noted in the missed list: the worker queues it
	   again once the queue can be written */
	STANDBY_ENQUEUE_MISSED,
	/* neither queued nor noted: not mirrored */
	STANDBY_ENQUEUE_FAILED,
};

struct standby_enqueue_result {
	enum standby_enqueue_status status;
	/* the entry's id (also the one a missed message is queued under
	   later), or NULL when the message could not be read */
	const char *entry_id;
	/* the message's size */
	uoff_t size;
	/* why it was not queued (for the caller's log line and the
	   standby_mirror_queued event) */
	const char *error;
};

/* Queue req's message for the standby. The caller reports the outcome
   (result_r); what goes wrong on the way besides (the missed list or the
   status file cannot be written either) is logged with event. Strings in
   result_r are allocated from the data stack. */
void standby_enqueue(const struct standby_enqueue_request *req,
		     struct event *event,
		     struct standby_enqueue_result *result_r);

/* How the outcome reads in logs: "noted to be queued again later" or
   "not mirrored" (for MISSED and FAILED). */
const char *standby_enqueue_outcome(enum standby_enqueue_status status);

#endif

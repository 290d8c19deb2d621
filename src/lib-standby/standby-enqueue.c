/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "ioloop.h"
#include "istream.h"
#include "standby-settings.h"
#include "standby-entry.h"
#include "standby-queue.h"
#include "standby-missed.h"
#include "standby-status.h"
#include "standby-hash.h"
#include "standby-poke.h"
#include "standby-enqueue.h"

const char *standby_enqueue_outcome(enum standby_enqueue_status status)
{
	switch (status) {
	case STANDBY_ENQUEUE_QUEUED:
		return "queued";
	case STANDBY_ENQUEUE_MISSED:
		return "noted to be queued again later";
	case STANDBY_ENQUEUE_FAILED:
		break;
	}
	return "not mirrored";
}

/* The entry could not be written (the file system is full, say): note
   the message in the missed list, whose space is reserved, so that the
   worker finds it in the mailbox and queues it again once the queue can
   be written, under the id that the failed standby_queue_add() gave
   entry. Returns TRUE when noted. */
static bool
standby_enqueue_note_missed(const struct standby_enqueue_request *req,
			    struct event *event, struct standby_entry *entry)
{
	struct standby_hash hash;
	const char *error;
	uoff_t size;

	i_stream_seek(req->input, 0);
	if (standby_hash_stream(req->input, &hash, &error) < 0) {
		e_error(event, "Failed to note the message in the missed "
			"list: %s", error);
		return FALSE;
	}
	if (i_stream_get_size(req->input, TRUE, &size) <= 0) {
		e_error(event, "Failed to note the message in the missed "
			"list: its size is unknown: %s",
			i_stream_get_error(req->input));
		return FALSE;
	}
	entry->size = size;
	if (standby_missed_add(req->set->state_dir, entry,
			       standby_hash_lf_hex(&hash), &error) < 0) {
		e_error(event, "Failed to note the message in the missed "
			"list: %s", error);
		return FALSE;
	}
	return TRUE;
}

/* Best effort: make the failure visible in doveadm standby status */
static void
standby_enqueue_count_failure(const struct standby_enqueue_request *req,
			      struct event *event,
			      const struct standby_enqueue_result *result)
{
	const char *last_error, *error;

	last_error = t_strdup_printf("Failed to queue a message (%s): %s",
				     standby_enqueue_outcome(result->status),
				     result->error);
	if (standby_status_increment(req->set->state_dir,
				     "queue_write_failures", last_error,
				     &error) < 0) {
		e_error(event, "Failed to update status in %s: %s",
			req->set->state_dir, error);
	}
}

/* The worker also scans the queues periodically: a poke that does not
   arrive only delays the copy. */
static void
standby_enqueue_poke(const struct standby_enqueue_request *req,
		     struct event *event)
{
	const char *error;

	if (standby_poke(req->base_dir, req->username, &error) < 0)
		e_debug(event, "Failed to poke the standby worker: %s", error);
}

void standby_enqueue(const struct standby_enqueue_request *req,
		     struct event *event,
		     struct standby_enqueue_result *result_r)
{
	struct standby_queue *queue;
	struct standby_entry entry;
	const char *error;
	int ret;

	i_zero(result_r);
	if (req->input == NULL) {
		i_assert(req->input_error != NULL);
		result_r->status = STANDBY_ENQUEUE_FAILED;
		result_r->error = t_strdup_printf(
			"Failed to read message: %s", req->input_error);
		standby_enqueue_count_failure(req, event, result_r);
		return;
	}

	i_zero(&entry);
	entry.mailbox = req->mailbox;
	entry.flags = req->flags;
	entry.direction = req->direction;
	entry.user = req->username;
	entry.queued_time = ioloop_time;
	entry.internal_date = req->internal_date;
	entry.tz_offset_mins = 0;

	i_stream_seek(req->input, 0);
	queue = standby_queue_init(req->set->state_dir, event);
	ret = standby_queue_add(queue, &entry, req->input, &error);
	standby_queue_deinit(&queue);

	result_r->entry_id = t_strdup(entry.id);
	if (ret == 0) {
		result_r->status = STANDBY_ENQUEUE_QUEUED;
		result_r->size = entry.size;
		standby_enqueue_poke(req, event);
		return;
	}

	result_r->error = t_strdup(error);
	if (standby_enqueue_note_missed(req, event, &entry)) {
		result_r->status = STANDBY_ENQUEUE_MISSED;
		result_r->size = entry.size;
	} else {
		result_r->status = STANDBY_ENQUEUE_FAILED;
	}
	standby_enqueue_count_failure(req, event, result_r);
	if (result_r->status == STANDBY_ENQUEUE_MISSED)
		standby_enqueue_poke(req, event);
}

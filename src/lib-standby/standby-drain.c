/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "istream.h"
#include "str-sanitize.h"
#include "hash.h"
#include "sleep.h"
#include "time-util.h"
#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-ledger.h"
#include "standby-status.h"
#include "standby-hash.h"
#include "standby-imap.h"
#include "standby-drain.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include <signal.h>

/* How many APPENDs are pipelined in one round trip. */
#define STANDBY_DRAIN_BATCH 16
/* With STANDBY_DRAIN_FLAG_LINGER: how long to keep an idle connection
   for entries that arrive meanwhile, and how often to look. */
#define STANDBY_DRAIN_LINGER_MSECS 2000
#define STANDBY_DRAIN_LINGER_POLL_MSECS 20

/* set from a signal handler: see standby_drain_request_yield() */
static volatile sig_atomic_t standby_drain_yield = 0;

struct standby_drain {
	const struct standby_settings *set;
	enum standby_drain_flags flags;
	/* per-batch data: the opened entries */
	pool_t batch_pool;
	/* the batch's accepted entries: their ledger lines are written,
	   and once they are synced (one fdatasync per batch) the entries
	   are removed (standby_drain_accepted_flush()) */
	struct standby_ledger_writer *ledger;
	ARRAY_TYPE(const_string) accepted_ids;
	/* entry ids this run has tried (never twice in one run) */
	HASH_TABLE(char *, char *) tried;
	struct event *event;
	struct standby_queue *queue;
	struct standby_imap *imap;
	struct standby_drain_result *result;
	const char *username;
	pool_t pool;
	bool disconnected;
};

struct standby_drain_item {
	struct standby_queue_entry *qentry;
	struct standby_imap_append append;
};

static void
standby_drain_set_error(struct standby_drain *drain, const char *error)
{
	drain->result->error = p_strdup(drain->pool, error);
}

static void standby_drain_event_finished(struct standby_drain *drain,
					 const struct standby_entry *entry,
					 const char *mailbox,
					 const char *error)
{
	struct event_passthrough *e =
		event_create_passthrough(drain->event)->
		set_name("standby_mirror_finished")->
		add_str("entry_id", entry->id)->
		add_str("mailbox", mailbox)->
		add_int("bytes", entry->size)->
		add_str("direction",
			standby_direction_to_str(entry->direction))->
		add_int("queue_secs", ioloop_time - entry->queued_time);

	if (error == NULL) {
		e_debug(e->event(), "Mirrored %s (%"PRIuUOFF_T" bytes) to "
			"standby folder '%s'", entry->id, entry->size, mailbox);
	} else {
		e->add_str("error", error);
		e_warning(e->event(), "Mirroring %s to standby folder '%s' "
			  "failed: %s", entry->id, mailbox, error);
	}
}

/* Keep the entry for a later attempt, or give up when it is too old. */
static void standby_drain_defer(struct standby_drain *drain,
				const struct standby_entry *entry,
				const char *reason)
{
	const char *error;
	time_t next;

	if (standby_queue_expired(drain->set, entry->queued_time,
				  ioloop_time)) {
		if (standby_queue_kill_id(drain->queue, entry->id, t_strdup_printf(
				"queued for longer than "
				"standby_max_queue_lifetime (%u s); "
				"last error: %s",
				drain->set->max_queue_lifetime_secs, reason),
				&error) < 0)
			e_error(drain->event, "%s", error);
		else {
			e_error(drain->event, "Gave up on %s after %u s in the "
				"queue, moved to dead letters: %s", entry->id,
				drain->set->max_queue_lifetime_secs, reason);
			drain->result->killed++;
		}
		return;
	}
	next = standby_queue_next_attempt(drain->set, entry->queued_time,
					  ioloop_time);
	if (standby_queue_defer_id(drain->queue, entry->id, next, &error) < 0)
		e_error(drain->event, "%s", error);
	drain->result->deferred++;
}

static void standby_drain_kill(struct standby_drain *drain, const char *id,
			       const char *reason)
{
	const char *error;

	if (standby_queue_kill_id(drain->queue, id, reason, &error) < 0) {
		e_error(drain->event, "%s", error);
		return;
	}
	e_error(drain->event, "Moved %s to dead letters: %s", id, reason);
	drain->result->killed++;
}

static void standby_drain_item_free(struct standby_drain_item *item)
{
	i_stream_unref(&item->append.input);
	if (item->qentry != NULL)
		standby_queue_entry_close(&item->qentry);
}

static int
standby_drain_ledger_add(struct standby_drain *drain,
			 const struct standby_ledger_record *rec,
			 const char **error_r)
{
	if (drain->ledger == NULL &&
	    standby_ledger_writer_open(drain->set->state_dir, &drain->ledger,
				       error_r) < 0)
		return -1;
	return standby_ledger_writer_add(drain->ledger, rec, error_r);
}

/* The standby has the entry: record it in the ledger; it is removed from
   the queue when the batch's records are synced. */
static void standby_drain_accepted(struct standby_drain *drain,
				   struct standby_drain_item *item)
{
	const struct standby_entry *entry = item->qentry->entry;
	struct standby_ledger_record rec;
	const char *error, *remove_error;
	bool removed = FALSE;
	int ret;

	i_zero(&rec);
	rec.id = entry->id;
	rec.mailbox = item->append.mailbox;
	rec.uidvalidity = item->append.uidvalidity;
	rec.uid = item->append.uid;
	rec.size = entry->size;
	rec.accepted = ioloop_time;
	rec.direction = standby_direction_to_str(entry->direction);
	i_stream_seek(item->append.input, 0);
	if (standby_hash_stream_raw_hex(item->append.input, &rec.sha256_hex,
					&error) < 0) {
		e_error(drain->event, "Failed to hash %s: %s",
			entry->id, error);
		rec.sha256_hex = "";
	}
	ret = standby_drain_ledger_add(drain, &rec, &error);
	if (ret < 0 && ENOSPACE(errno)) {
		/* The file system is full, maybe of the queue itself: the
		   entry's file makes room for its line. Without the line,
		   verify could not check the copy and failback would take
		   it for mail that arrived at the standby. */
		e_debug(drain->event, "%s; removing %s first", error,
			entry->id);
		/* (an open file keeps its blocks) */
		standby_drain_item_free(item);
		if (standby_queue_remove_id(drain->queue, entry->id,
					    &remove_error) == 0) {
			/* (a failure is logged by the removal below) */
			removed = TRUE;
			ret = standby_drain_ledger_add(drain, &rec, &error);
		}
	}
	if (ret < 0)
		e_error(drain->event, "%s", error);
	if (!removed) {
		const char *id = p_strdup(drain->batch_pool, entry->id);

		array_push_back(&drain->accepted_ids, &id);
	}
	drain->result->sent++;
	standby_drain_event_finished(drain, entry, item->append.mailbox, NULL);
}

/* Sync the batch's ledger lines, then remove their entries. */
static void standby_drain_accepted_flush(struct standby_drain *drain)
{
	const char *id, *error;

	if (drain->ledger != NULL &&
	    standby_ledger_writer_finish(&drain->ledger, &error) < 0)
		e_error(drain->event, "%s", error);
	/* A failed unlink would send it again: the uncertain mark makes the
	   next attempt find the copy first, so no duplicate either way. */
	array_foreach_elem(&drain->accepted_ids, id) {
		if (standby_queue_remove_id(drain->queue, id, &error) < 0)
			e_error(drain->event, "%s", error);
	}
	array_clear(&drain->accepted_ids);
}

static const char *
standby_drain_mailbox(struct standby_drain *drain,
		      const struct standby_entry *entry)
{
	if (entry->mailbox[0] != '\0')
		return entry->mailbox;
	if (entry->direction == STANDBY_DIRECTION_OUTGOING)
		return standby_imap_get_sent_mailbox(drain->imap);
	return "INBOX";
}

/* Open one entry and prepare its APPEND. Returns 1 when it is to be sent,
   0 when it needs no APPEND (gone, broken, or already on the standby). */
static int standby_drain_prepare(struct standby_drain *drain, const char *id,
				 struct standby_drain_item *item)
{
	struct standby_queue_entry *qentry;
	const char *mailbox, *error;
	uint32_t uidvalidity, uid;
	int ret;

	i_zero(item);
	ret = standby_queue_open(drain->queue, id, drain->batch_pool, &qentry,
				 &error);
	if (ret == 0)
		return 0;
	if (ret < 0) {
		standby_drain_kill(drain, id, error);
		return 0;
	}
	item->qentry = qentry;
	if (qentry->entry->user != NULL &&
	    strcmp(qentry->entry->user, drain->username) != 0) {
		/* a state directory shared between users (standby_state_dir
		   without %u or %h): the entry is not this user's to send */
		error = t_strdup_printf("%s was queued for user %s, not %s: "
			"not sending it to this user's standby (is "
			"standby_state_dir shared between users?)", id,
			str_sanitize(qentry->entry->user, 128),
			drain->username);
		e_error(drain->event, "%s", error);
		standby_drain_set_error(drain, error);
		standby_drain_defer(drain, qentry->entry, error);
		return 0;
	}
	mailbox = standby_drain_mailbox(drain, qentry->entry);
	item->append.mailbox = t_strdup(mailbox);
	item->append.flags = qentry->entry->flags;
	item->append.internal_date = qentry->entry->internal_date;
	item->append.tz_offset_mins = qentry->entry->tz_offset_mins;
	item->append.input = standby_queue_entry_get_body(qentry);

	if (qentry->uncertain) {
		/* an earlier APPEND may have arrived: look before sending */
		ret = standby_imap_find_copy(drain->imap, mailbox,
					     item->append.input, &uidvalidity,
					     &uid, &error);
		i_stream_seek(item->append.input, 0);
		if (ret < 0) {
			standby_drain_set_error(drain, error);
			drain->disconnected = TRUE;
			return -1;
		}
		if (ret > 0) {
			e_debug(drain->event, "%s was already on the standby "
				"(uid %u)", id, uid);
			item->append.uidvalidity = uidvalidity;
			item->append.uid = uid;
			standby_drain_accepted(drain, item);
			return 0;
		}
	}
	/* Marked (again) right before sending: without the mark a crash
	   could cause a duplicate, and its time tells when the entry's
	   last APPEND may have started (standby_drain_item_due()). */
	if (standby_queue_entry_set_uncertain(qentry, TRUE, &error) < 0) {
		e_error(drain->event, "%s", error);
		return 0;
	}
	return 1;
}

static void standby_drain_item_result(struct standby_drain *drain,
				      struct standby_drain_item *item)
{
	const struct standby_entry *entry = item->qentry->entry;
	const char *error;

	switch (item->append.result) {
	case STANDBY_IMAP_OK:
		standby_drain_accepted(drain, item);
		break;
	case STANDBY_IMAP_NO:
		if (standby_queue_entry_set_uncertain(item->qentry, FALSE,
						      &error) < 0)
			e_error(drain->event, "%s", error);
		standby_drain_event_finished(drain, entry,
					     item->append.mailbox,
					     item->append.error);
		standby_drain_set_error(drain, item->append.error);
		standby_drain_defer(drain, entry, item->append.error);
		break;
	case STANDBY_IMAP_PERMANENT:
		standby_drain_event_finished(drain, entry,
					     item->append.mailbox,
					     item->append.error);
		standby_drain_set_error(drain, item->append.error);
		standby_drain_kill(drain, entry->id, t_strdup_printf(
			"the standby refused it: %s", item->append.error));
		break;
	case STANDBY_IMAP_DISCONNECTED:
		/* stays marked uncertain */
		error = item->append.error != NULL ? item->append.error :
			"connection lost";
		standby_drain_event_finished(drain, entry,
					     item->append.mailbox, error);
		standby_drain_set_error(drain, error);
		standby_drain_defer(drain, entry, error);
		break;
	}
}

static void standby_drain_batch(struct standby_drain *drain,
				const struct standby_queue_item *items,
				unsigned int count)
{
	struct standby_drain_item batch[STANDBY_DRAIN_BATCH];
	struct standby_imap_append appends[STANDBY_DRAIN_BATCH];
	unsigned int i, n = 0;
	int ret;

	i_assert(count <= STANDBY_DRAIN_BATCH);
	drain->batch_pool = pool_alloconly_create("standby drain batch", 4096);
	p_array_init(&drain->accepted_ids, drain->batch_pool, count);
	for (i = 0; i < count && !drain->disconnected; i++) {
		ret = standby_drain_prepare(drain, items[i].id, &batch[n]);
		if (ret > 0) {
			appends[n] = batch[n].append;
			n++;
		} else {
			standby_drain_item_free(&batch[n]);
		}
	}
	if (n > 0 && standby_imap_append_many(drain->imap, appends, n) < 0)
		drain->disconnected = TRUE;
	for (i = 0; i < n; i++) {
		batch[i].append.uidvalidity = appends[i].uidvalidity;
		batch[i].append.uid = appends[i].uid;
		batch[i].append.error = appends[i].error;
		batch[i].append.result = appends[i].result;
		standby_drain_item_result(drain, &batch[i]);
		standby_drain_item_free(&batch[i]);
	}
	standby_drain_accepted_flush(drain);
	pool_unref(&drain->batch_pool);
}

static void standby_drain_status(struct standby_drain *drain)
{
	const char *error;
	const char *now = dec2str(ioloop_time);
	int ret;

	if (drain->result->error == NULL) {
		ret = standby_status_update(drain->set->state_dir,
					    "last_success", now, &error);
	} else {
		ret = standby_status_update(drain->set->state_dir,
					    "last_error", drain->result->error,
					    &error);
		if (ret == 0) {
			ret = standby_status_update(drain->set->state_dir,
						    "last_error_time", now,
						    &error);
		}
	}
	if (ret < 0)
		e_error(drain->event, "%s", error);
}

/* When an entry is due. An uncertain one waits until standby_timeout
   (at most standby_max_backoff) has passed since it was marked: an APPEND
   of a drain that died may still be on its way to the standby (a slow
   link drains the dead connection's buffers), and a copy arriving after
   this drain looked for it would be a duplicate. */
static time_t standby_drain_item_due(struct standby_drain *drain,
				     const struct standby_queue_item *item)
{
	time_t settled;

	if (!item->uncertain)
		return item->next_attempt;
	settled = item->changed + I_MIN(drain->set->timeout_secs,
					drain->set->max_backoff_secs);
	return I_MAX(item->next_attempt, settled);
}

static void standby_drain_count_remaining(struct standby_drain *drain)
{
	ARRAY_TYPE(standby_queue_item) items;
	const struct standby_queue_item *item;
	const char *error;

	t_array_init(&items, 64);
	if (standby_queue_list(drain->queue, STANDBY_QUEUE_DIR_QUEUE,
			       drain->pool, &items, &error) < 0) {
		e_error(drain->event, "%s", error);
		return;
	}
	drain->result->remaining = array_count(&items);
	drain->result->next_attempt = 0;
	drain->result->oldest_queued = 0;
	array_foreach(&items, item) {
		time_t queued, due = standby_drain_item_due(drain, item);

		if (drain->result->next_attempt == 0 ||
		    due < drain->result->next_attempt)
			drain->result->next_attempt = due;
		if (standby_entry_id_get_time(item->id, &queued) == 0 &&
		    (drain->result->oldest_queued == 0 ||
		     queued < drain->result->oldest_queued))
			drain->result->oldest_queued = queued;
	}
}

/* One event per run, for monitoring: what it did and how far behind the
   standby is (oldest_secs: the age of the oldest entry still queued, the
   mail the primary would lose with its disk now). */
static void standby_drain_event_run(struct standby_drain *drain)
{
	const struct standby_drain_result *result = drain->result;
	struct event_passthrough *e =
		event_create_passthrough(drain->event)->
		set_name("standby_drain_finished")->
		add_int("sent", result->sent)->
		add_int("deferred", result->deferred)->
		add_int("killed", result->killed)->
		add_int("remaining", result->remaining)->
		add_int("oldest_secs", result->oldest_queued == 0 ? 0 :
			I_MAX(ioloop_time - result->oldest_queued, 0));

	if (result->error != NULL)
		e->add_str("error", result->error);
	e_debug(e->event(), "Drain finished: %u sent, %u deferred, "
		"%u dead-lettered, %u queued", result->sent, result->deferred,
		result->killed, result->remaining);
}

/* List the entries to send now: due ones (all with force), without those
   this run has already tried. */
static int standby_drain_list_due(struct standby_drain *drain, bool force,
				  pool_t pool,
				  ARRAY_TYPE(standby_queue_item) *due,
				  const char **error_r)
{
	ARRAY_TYPE(standby_queue_item) items;
	const struct standby_queue_item *item;

	p_array_init(&items, pool, 64);
	if (standby_queue_list(drain->queue, STANDBY_QUEUE_DIR_QUEUE,
			       pool, &items, error_r) < 0)
		return -1;
	array_foreach(&items, item) {
		if ((standby_drain_item_due(drain, item) <= ioloop_time ||
		     force) &&
		    hash_table_lookup(drain->tried, item->id) == NULL)
			array_push_back(due, item);
	}
	return 0;
}

void standby_drain_request_yield(void)
{
	standby_drain_yield = 1;
}

/* Others wait for this process's slot: finish the batch at hand, then
   end the run (only a lingering run, the worker's, yields). */
static bool standby_drain_yielding(struct standby_drain *drain)
{
	return (drain->flags & STANDBY_DRAIN_FLAG_LINGER) != 0 &&
		standby_drain_yield != 0;
}

static void standby_drain_send(struct standby_drain *drain,
			       const ARRAY_TYPE(standby_queue_item) *due)
{
	const struct standby_queue_item *due_items;
	unsigned int i, count;

	due_items = array_get(due, &count);
	for (i = 0; i < count; i++) {
		char *id = p_strdup(drain->pool, due_items[i].id);

		hash_table_insert(drain->tried, id, id);
	}
	for (i = 0; i < count && !drain->disconnected &&
		    (i == 0 || !standby_drain_yielding(drain));
	     i += STANDBY_DRAIN_BATCH) T_BEGIN {
		standby_drain_batch(drain, due_items + i,
				    I_MIN(count - i, STANDBY_DRAIN_BATCH));
	} T_END;
}

/* Wait a little for more entries, keeping the connection: mail often
   arrives in bursts, and a new connection costs a fork, a TLS handshake
   and a login on both sides. Returns 1 when there is more to send. */
static int standby_drain_linger(struct standby_drain *drain,
				const char **error_r)
{
	ARRAY_TYPE(standby_queue_item) due;
	struct timeval start;
	int ret = 0;

	i_gettimeofday(&start);
	do T_BEGIN {
		t_array_init(&due, 16);
		if (standby_drain_list_due(drain, FALSE,
					   pool_datastack_create(), &due,
					   error_r) < 0)
			ret = -1;
		else if (standby_drain_yielding(drain))
			ret = 0;
		else if (array_count(&due) > 0)
			ret = 1;
		else if (timeval_diff_msecs(&ioloop_timeval, &start) >=
			 STANDBY_DRAIN_LINGER_MSECS)
			ret = 0;
		else {
			i_sleep_msecs(STANDBY_DRAIN_LINGER_POLL_MSECS);
			io_loop_time_refresh();
			ret = 2;
		}
	} T_END_PASS_STR_IF(ret < 0, error_r); while (ret == 2);
	return ret;
}

/* Defer every due entry after a failed connect. */
static void standby_drain_defer_all(struct standby_drain *drain,
				    const ARRAY_TYPE(standby_queue_item) *due,
				    const char *error)
{
	const struct standby_queue_item *item;

	array_foreach(due, item) T_BEGIN {
		struct standby_queue_entry *qentry;
		const char *open_error;
		pool_t pool = pool_alloconly_create("standby entry", 1024);
		int ret = standby_queue_open(drain->queue, item->id, pool,
					     &qentry, &open_error);
		if (ret < 0)
			standby_drain_kill(drain, item->id, open_error);
		else if (ret > 0) {
			standby_drain_defer(drain, qentry->entry, error);
			standby_queue_entry_close(&qentry);
		}
		pool_unref(&pool);
	} T_END;
}

static int standby_drain_queue(struct standby_drain *drain,
			       enum standby_drain_flags flags,
			       const char **error_r)
{
	ARRAY_TYPE(standby_queue_item) due;
	bool force = (flags & STANDBY_DRAIN_FLAG_FORCE) != 0;
	const char *error;
	pool_t pass_pool;
	int ret = 0;

	for (;;) {
		pass_pool = pool_alloconly_create("standby drain pass", 4096);
		p_array_init(&due, pass_pool, 64);
		ret = standby_drain_list_due(drain, force, pass_pool, &due,
					     error_r);
		force = FALSE;
		if (ret < 0 || array_count(&due) == 0) {
			pool_unref(&pass_pool);
			break;
		}
		if (drain->imap == NULL &&
		    standby_imap_connect(drain->set, drain->event,
					 &drain->imap, &error) < 0) {
			e_error(drain->event, "Cannot reach the standby: %s",
				error);
			standby_drain_set_error(drain, error);
			standby_drain_defer_all(drain, &due, error);
			pool_unref(&pass_pool);
			break;
		}
		standby_drain_send(drain, &due);
		pool_unref(&pass_pool);
		if (drain->disconnected ||
		    (flags & STANDBY_DRAIN_FLAG_LINGER) == 0 ||
		    standby_drain_yielding(drain))
			break;
		ret = standby_drain_linger(drain, error_r);
		if (ret <= 0)
			break;
	}
	if (drain->imap != NULL) {
		standby_imap_disconnect(&drain->imap);
		standby_drain_status(drain);
	} else if (drain->result->error != NULL) {
		standby_drain_status(drain);
	}
	standby_drain_count_remaining(drain);
	return ret < 0 ? -1 : 0;
}

/* Take the user's drain lock. Returns 1 when taken (*fd_r set), 0 when
   another process holds it or there is no queue at all, -1 on error. */
static int standby_drain_lock(const char *state_dir, bool wait, int *fd_r,
			      const char **error_r)
{
	const char *path = t_strconcat(state_dir, "/drain.lock", NULL);
	int fd;

	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd == -1) {
		if (errno == ENOENT) {
			/* nothing was ever queued for this user */
			return 0;
		}
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EWOULDBLOCK) {
			i_close_fd(&fd);
			return 0;
		}
		*error_r = t_strdup_printf("flock(%s) failed: %m", path);
		i_close_fd(&fd);
		return -1;
	}
	*fd_r = fd;
	return 1;
}

int standby_drain_run(const struct standby_settings *set,
		      const char *username, struct event *event_parent,
		      enum standby_drain_flags flags,
		      struct standby_drain_result *result_r,
		      const char **error_r)
{
	struct standby_drain drain;
	int ret, lock_fd = -1;

	i_zero(result_r);
	ret = standby_drain_lock(set->state_dir,
				 (flags & STANDBY_DRAIN_FLAG_WAIT) != 0,
				 &lock_fd, error_r);
	if (ret <= 0) {
		if (ret == 0 && access(set->state_dir, F_OK) == 0) {
			result_r->busy = TRUE;
			result_r->remaining = 1;
			result_r->next_attempt = ioloop_time + 1;
		}
		return ret;
	}

	i_zero(&drain);
	drain.set = set;
	drain.flags = flags;
	drain.result = result_r;
	drain.pool = pool_alloconly_create("standby drain", 4096);
	drain.username = p_strdup(drain.pool, username);
	drain.event = event_create(event_parent);
	event_add_category(drain.event, &event_category_standby);
	event_add_str(drain.event, "user", username);
	drain.queue = standby_queue_init(set->state_dir, drain.event);
	hash_table_create(&drain.tried, drain.pool, 0, str_hash, strcmp);

	T_BEGIN {
		ret = standby_drain_queue(&drain, flags, error_r);
		if (ret == 0)
			standby_drain_event_run(&drain);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	if (result_r->error != NULL) {
		/* the pool goes away: keep the error on the data stack */
		result_r->error = t_strdup(result_r->error);
	}
	hash_table_destroy(&drain.tried);
	standby_queue_deinit(&drain.queue);
	event_unref(&drain.event);
	pool_unref(&drain.pool);
	/* closing releases the lock */
	i_close_fd(&lock_fd);
	return ret;
}

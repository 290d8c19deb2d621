/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_QUEUE_H
#define STANDBY_QUEUE_H

#include "standby-entry.h"

struct istream;
struct standby_settings;

/* A user's durable queue, in the state directory:
     tmp/    entries being written (never read by anyone else)
     queue/  complete entries waiting for the standby
     dead/   dead letters (<id> plus <id>.reason)
   An entry's file mtime is the time of its next attempt. Its mode is 0600,
   or 0400 while an APPEND of it may have reached the standby without us
   seeing the reply (checked for before sending again). */
struct standby_queue;

enum standby_queue_dir {
	STANDBY_QUEUE_DIR_QUEUE = 0,
	STANDBY_QUEUE_DIR_DEAD,
};

struct standby_queue_item {
	const char *id;
	/* when the next attempt is due (file mtime) */
	time_t next_attempt;
	/* an APPEND may have been sent without a reply being seen */
	bool uncertain;
	/* the last change of the file's mode or times (ctime): for an
	   uncertain entry, when it was marked or deferred */
	time_t changed;
	uoff_t file_size;
};
ARRAY_DEFINE_TYPE(standby_queue_item, struct standby_queue_item);

/* An entry opened for sending. */
struct standby_queue_entry {
	struct standby_entry *entry;
	const char *path;
	int fd;
	bool uncertain;
};

struct standby_queue *
standby_queue_init(const char *state_dir, struct event *event_parent);
void standby_queue_deinit(struct standby_queue **queue);

const char *standby_queue_get_dir(struct standby_queue *queue);

/* Write a new entry from input (which must be at its start): tmp/,
   write, fsync, rename into queue/. entry->size is filled in, and
   entry->id when it is NULL; a caller that sets it (the missed list, so
   that a message queued twice is seen as such) must be the only writer
   of that id. Creates missing directories (mode 0700). */
int standby_queue_add(struct standby_queue *queue,
		      struct standby_entry *entry, struct istream *input,
		      const char **error_r);

/* List the entries of a directory, sorted by id (oldest first). */
int standby_queue_list(struct standby_queue *queue,
		       enum standby_queue_dir dir, pool_t pool,
		       ARRAY_TYPE(standby_queue_item) *items,
		       const char **error_r);

/* Open and validate a queued entry. Returns 1 when opened, 0 when it is
   gone (already sent), -1 with *error_r when it is torn/corrupted or
   unreadable. */
int standby_queue_open(struct standby_queue *queue, const char *id,
		       pool_t pool, struct standby_queue_entry **qentry_r,
		       const char **error_r);
void standby_queue_entry_close(struct standby_queue_entry **qentry);
/* The unchanged message body as a seekable stream of known size. */
struct istream *standby_queue_entry_get_body(struct standby_queue_entry *qentry);

/* Mark the entry as possibly on the standby (before sending) / as
   certainly not there (after a NO). Marking an uncertain entry again
   renews the mark's time (the file's ctime). */
int standby_queue_entry_set_uncertain(struct standby_queue_entry *qentry,
				      bool uncertain, const char **error_r);
/* Schedule the next attempt at next_attempt. */
int standby_queue_defer_id(struct standby_queue *queue, const char *id,
			   time_t next_attempt, const char **error_r);
/* The standby has it: remove it from the queue. */
int standby_queue_remove_id(struct standby_queue *queue, const char *id,
			    const char **error_r);
/* Give up on it: move it to dead/ with a reason. */
int standby_queue_kill_id(struct standby_queue *queue, const char *id,
			  const char *reason, const char **error_r);
/* Move a dead letter back into the queue, due now. */
int standby_queue_revive_id(struct standby_queue *queue, const char *id,
			    const char **error_r);

/* Postfix-style backoff: the delay doubles with the entry's age, bounded
   by min and max backoff. */
time_t standby_queue_next_attempt(const struct standby_settings *set,
				  time_t queued_time, time_t now);
/* TRUE when the entry has been queued for longer than its lifetime. */
bool standby_queue_expired(const struct standby_settings *set,
			   time_t queued_time, time_t now);

#endif

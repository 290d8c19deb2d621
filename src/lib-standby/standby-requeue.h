/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_REQUEUE_H
#define STANDBY_REQUEUE_H

#include "standby-entry.h"

struct mail_user;
struct standby_queue;

/* A message to find in the primary's mailboxes and queue again: for
   verify --repair (a copy the standby lost) and for the missed list (a
   message that could not be queued). */
struct standby_requeue_item {
	/* the size of the bytes the mirror queued (or wanted to): the
	   message's physical size, or its virtual size when those were
	   CRLF and the mailbox stores LF */
	uoff_t size;
	/* SHA-256 of those bytes (hex, any of standby_hash's digests) */
	const char *sha256_hex;
	/* the entry to queue: mailbox, flags, direction, internal_date
	   (0: the message's received date), tz_offset_mins */
	struct standby_entry entry;
	/* set once found and queued */
	bool requeued;
};

/* Look through every private mailbox of user for the items not yet
   requeued, by size and SHA-256, and queue each one found (a new entry,
   queued now; the message's own flags are not added). Returns the
   number queued; -1 with *error_r when an entry could not be written
   (the items queued until then are marked). */
int standby_requeue_find(struct mail_user *user, struct standby_queue *queue,
			 struct standby_requeue_item *const *items,
			 unsigned int count, const char **error_r);

/* Queue the messages of the missed list (standby-missed.h) again: each
   one found in the user's mailboxes is queued under its record's entry
   id and the record dropped; a record whose id is in the queue, the dead
   letters or the ledger already (queued by a run that was ended before
   it dropped the record) is only dropped;
   a record whose message is in no mailbox any more is dropped with a
   warning; records stay while the queue cannot be written. Returns the
   number queued, or -1 with *error_r; *left_r: records still listed. */
int standby_requeue_missed(struct mail_user *user, const char *state_dir,
			   struct event *event, unsigned int *left_r,
			   const char **error_r);

#endif

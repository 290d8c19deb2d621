/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "istream.h"
#include "str.h"
#include "str-sanitize.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "mail-search-build.h"
#include "mailbox-list-iter.h"
#include "hash.h"
#include "standby-hash.h"
#include "standby-ledger.h"
#include "standby-queue.h"
#include "standby-missed.h"
#include "standby-requeue.h"

HASH_TABLE_DEFINE_TYPE(standby_requeue_ids, const char *,
		       struct standby_requeue_item *);

/* Queue the first item not yet queued that matches mail; -1 when the
   queue could not be written */
static int
standby_requeue_mail(struct mail *mail, const char *username,
		     struct standby_queue *queue,
		     struct standby_requeue_item *const *items,
		     unsigned int count, unsigned int *todo,
		     const char **error_r)
{
	struct standby_hash hash;
	struct istream *input;
	uoff_t size, vsize;
	unsigned int i;
	bool hashed = FALSE;

	if (mail_get_physical_size(mail, &size) < 0)
		size = (uoff_t)-1;
	if (mail_get_virtual_size(mail, &vsize) < 0)
		vsize = (uoff_t)-1;
	for (i = 0; i < count && *todo > 0; i++) {
		struct standby_requeue_item *item = items[i];
		struct standby_entry entry;
		time_t received;

		if (item->requeued ||
		    (item->size != size && item->size != vsize))
			continue;
		if (mail_get_stream(mail, NULL, NULL, &input) < 0)
			return 0;
		if (!hashed && standby_hash_stream(input, &hash, error_r) < 0)
			return 0;
		hashed = TRUE;
		if (!standby_hash_matches_hex(&hash, item->sha256_hex))
			continue;

		/* (the missed list's id, or NULL for a new one) */
		entry = item->entry;
		entry.size = 0;
		entry.queued_time = ioloop_time;
		entry.user = username;
		if (entry.internal_date == 0) {
			if (mail_get_received_date(mail, &received) < 0)
				received = ioloop_time;
			entry.internal_date = received;
		}
		if (standby_queue_add(queue, &entry, input, error_r) < 0)
			return -1;
		item->requeued = TRUE;
		(*todo)--;
		/* one item per message: two equal messages (the same mail
		   delivered twice) are two items and two mails */
		break;
	}
	return 0;
}

static int
standby_requeue_mailbox(struct mailbox *box, const char *username,
			struct standby_queue *queue,
			struct standby_requeue_item *const *items,
			unsigned int count, unsigned int *todo,
			const char **error_r)
{
	struct mailbox_transaction_context *trans;
	struct mail_search_args *args;
	struct mail_search_context *search;
	struct mail *mail;
	char *error = NULL;
	int ret = 0;

	if (mailbox_sync(box, 0) < 0)
		return 0;
	trans = mailbox_transaction_begin(box, 0, __func__);
	args = mail_search_build_init();
	mail_search_build_add_all(args);
	search = mailbox_search_init(trans, args, NULL,
				     MAIL_FETCH_PHYSICAL_SIZE |
				     MAIL_FETCH_VIRTUAL_SIZE, NULL);
	mail_search_args_unref(&args);
	while (ret == 0 && *todo > 0 && mailbox_search_next(search, &mail)) {
		T_BEGIN {
			const char *mail_error;

			ret = standby_requeue_mail(mail, username, queue,
						   items, count,
						   todo, &mail_error);
			if (ret < 0)
				error = i_strdup(mail_error);
		} T_END;
	}
	(void)mailbox_search_deinit(&search);
	(void)mailbox_transaction_commit(&trans);
	if (ret < 0) {
		*error_r = t_strdup(error);
		i_free(error);
	}
	return ret;
}

int standby_requeue_find(struct mail_user *user, struct standby_queue *queue,
			 struct standby_requeue_item *const *items,
			 unsigned int count, const char **error_r)
{
	static const char *const patterns[] = { "*", NULL };
	struct mailbox_list_iterate_context *iter;
	const struct mailbox_info *info;
	unsigned int i, todo = 0, queued;
	int ret = 0;

	for (i = 0; i < count; i++) {
		if (!items[i]->requeued)
			todo++;
	}
	queued = todo;
	iter = mailbox_list_iter_init_namespaces(user->namespaces, patterns,
		MAIL_NAMESPACE_TYPE_PRIVATE,
		MAILBOX_LIST_ITER_RETURN_NO_FLAGS |
		MAILBOX_LIST_ITER_SKIP_ALIASES);
	while (ret == 0 && todo > 0 &&
	       (info = mailbox_list_iter_next(iter)) != NULL) {
		struct mailbox *box;

		box = mailbox_alloc(info->ns->list, info->vname,
				    MAILBOX_FLAG_READONLY);
		ret = standby_requeue_mailbox(box, user->username, queue,
					      items, count, &todo, error_r);
		mailbox_free(&box);
	}
	(void)mailbox_list_iter_deinit(&iter);
	return ret < 0 ? -1 : (int)(queued - todo);
}

static void
standby_requeue_mark_id(HASH_TABLE_TYPE(standby_requeue_ids) ids,
			const char *id)
{
	struct standby_requeue_item *item = hash_table_lookup(ids, id);

	if (item != NULL)
		item->requeued = TRUE;
}

/* Mark the items whose entry id is in the queue, the dead letters or the
   ledger: a run ended between queueing them and dropping their records
   (the worker stopped, say) queued them already. The queue is listed
   before the ledger is read: an entry that a drain sends meanwhile (its
   ledger line written before it leaves the queue) is seen in one of
   them. Returns the number marked, or -1 with *error_r. */
static int
standby_requeue_mark_queued(const char *state_dir, struct event *event,
			    struct standby_requeue_item *const *items,
			    unsigned int count, const char **error_r)
{
	static const enum standby_queue_dir dirs[] = {
		STANDBY_QUEUE_DIR_QUEUE, STANDBY_QUEUE_DIR_DEAD
	};
	HASH_TABLE_TYPE(standby_requeue_ids) ids;
	ARRAY_TYPE(standby_queue_item) queued;
	ARRAY_TYPE(standby_ledger_record) ledger;
	const struct standby_queue_item *qitem;
	const struct standby_ledger_record *rec;
	struct standby_queue *queue;
	unsigned int i, bad, marked = 0;
	pool_t pool;
	int ret = 0;

	if (count == 0)
		return 0;
	hash_table_create(&ids, default_pool, count, str_hash, strcmp);
	for (i = 0; i < count; i++) {
		if (hash_table_lookup(ids, items[i]->entry.id) != NULL) {
			/* the same record twice (a drop that was ended
			   before it zeroed the old records' bytes) */
			items[i]->requeued = TRUE;
		} else {
			hash_table_insert(ids, items[i]->entry.id, items[i]);
		}
	}
	pool = pool_alloconly_create("standby requeue ids", 4096);
	queue = standby_queue_init(state_dir, event);
	t_array_init(&queued, 16);
	for (i = 0; i < N_ELEMENTS(dirs) && ret == 0; i++) {
		array_clear(&queued);
		ret = standby_queue_list(queue, dirs[i], pool, &queued,
					 error_r);
		array_foreach(&queued, qitem)
			standby_requeue_mark_id(ids, qitem->id);
	}
	standby_queue_deinit(&queue);
	if (ret == 0) {
		p_array_init(&ledger, pool, 64);
		ret = standby_ledger_read(state_dir, pool, &ledger, &bad,
					  error_r);
		array_foreach(&ledger, rec)
			standby_requeue_mark_id(ids, rec->id);
	}
	hash_table_destroy(&ids);
	pool_unref(&pool);
	if (ret < 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (items[i]->requeued) {
			e_info(event, "A message of the missed list was "
			       "queued already (id %s): note dropped",
			       items[i]->entry.id);
			marked++;
		}
	}
	return marked;
}

int standby_requeue_missed(struct mail_user *user, const char *state_dir,
			   struct event *event, unsigned int *left_r,
			   const char **error_r)
{
	ARRAY_TYPE(standby_missed_record) records;
	const struct standby_missed_record *rec;
	struct standby_requeue_item **items;
	struct standby_queue *queue;
	string_t *keep;
	const char *queue_error = NULL;
	unsigned int i, count, bad, left = 0, queued = 0, already = 0;
	size_t used;
	int ret;

	*left_r = 0;
	t_array_init(&records, 16);
	if (standby_missed_read(state_dir, pool_datastack_create(), &records,
				&used, &bad, error_r) < 0)
		return -1;
	if (used == 0)
		return 0;
	if (bad > 0) {
		e_warning(event, "%s/"STANDBY_MISSED_FILE_NAME": %u records "
			  "that cannot be read dropped: not mirrored",
			  state_dir, bad);
	}

	count = array_count(&records);
	items = t_new(struct standby_requeue_item *, I_MAX(count, 1));
	for (i = 0; i < count; i++) {
		rec = array_idx(&records, i);
		items[i] = t_new(struct standby_requeue_item, 1);
		items[i]->size = rec->entry.size;
		items[i]->sha256_hex = rec->sha256_hex;
		items[i]->entry = rec->entry;
	}
	ret = standby_requeue_mark_queued(state_dir, event, items, count,
					  &queue_error);
	if (ret >= 0) {
		already = ret;
		queue = standby_queue_init(state_dir, event);
		ret = standby_requeue_find(user, queue, items, count,
					   &queue_error);
		standby_queue_deinit(&queue);
	}

	keep = t_str_new(256);
	for (i = 0; i < count; i++) {
		rec = array_idx(&records, i);
		if (items[i]->requeued) {
			queued++;
			continue;
		}
		if (ret < 0) {
			/* not looked at, or not written: next time */
			str_append(keep, rec->line);
			left++;
			continue;
		}
		e_warning(event, "A message that could not be queued (folder "
			  "'%s', %"PRIuUOFF_T" bytes, SHA-256 %s) is in no "
			  "mailbox any more: not mirrored",
			  str_sanitize(rec->entry.mailbox, 128),
			  rec->entry.size, rec->sha256_hex);
	}
	if (standby_missed_drop(state_dir, used, str_c(keep), error_r) < 0) {
		/* the queued ones stay listed: the next run finds their
		   ids in the queue or the ledger and drops them then */
		return -1;
	}
	*left_r = left;
	if (ret < 0) {
		*error_r = t_strdup_printf("Queueing the missed messages "
					   "again failed: %s", queue_error);
		return -1;
	}
	return queued - already;
}

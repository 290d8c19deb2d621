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
#include "standby-hash.h"
#include "standby-queue.h"
#include "standby-missed.h"
#include "standby-requeue.h"

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

		entry = item->entry;
		entry.id = NULL;
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
	unsigned int i, count, bad, left = 0, queued = 0;
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
	queue = standby_queue_init(state_dir, event);
	ret = standby_requeue_find(user, queue, items, count, &queue_error);
	standby_queue_deinit(&queue);

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
		/* the queued ones stay listed: the next run queues them
		   again, and the standby gets a second copy */
		return -1;
	}
	*left_r = left;
	if (ret < 0) {
		*error_r = t_strdup_printf("Queueing the missed messages "
					   "again failed: %s", queue_error);
		return -1;
	}
	return queued;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "ioloop.h"
#include "time-util.h"
#include "istream.h"
#include "safe-mkstemp.h"
#include "write-full.h"
#include "mail-user.h"
#include "guid.h"
#include "standby-settings.h"
#include "imap-util.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "mail-search-build.h"
#include "mailbox-list-iter.h"
#include "doveadm-print.h"
#include "standby-common.h"
#include "standby-imap.h"
#include "standby-copy-map.h"
#include "doveadm-standby-cmd.h"
#include "doveadm-standby-copy.h"


/* Messages per UID FETCH / primary transaction. A batch is also cut when
   its bodies add up to more than this many bytes (large literals go to
   temp files anyway; this bounds the work lost by an interruption). */
#define COPY_BATCH_MAX_MESSAGES 250
#define COPY_BATCH_MAX_BYTES (16*1024*1024)
#define COPY_PROGRESS_INTERVAL_SECS 2
/* Messages larger than this are fetched in parts of COPY_PART_SIZE */
#define COPY_LARGE_MESSAGE (1024*1024)
#define COPY_PART_SIZE (1024*1024)

struct copy_meta {
	uint32_t uid;
	uoff_t size;
	time_t date;
	int tz;
	const char *const *flags;
	bool done;
};

/* A message the primary's target mailbox holds (or got in this run):
   chained per size until its body is hashed, then found by digest */
struct copy_candidate {
	struct copy_candidate *next;
	uint32_t uid;
	bool hashed;
	struct standby_hash hash;
};

struct copy_ctx {
	struct doveadm_standby_cmd_context *cmd;
	struct mail_user *user;
	struct standby_imap *imap;
	const struct doveadm_standby_copy_settings *set;
	const char *folder, *target_vname;
	uint32_t uidvalidity;
	pool_t pool;

	ARRAY(struct copy_meta) metas;
	/* highest UID the META fetch saw */
	uint32_t max_uid;
	/* UIDs up to this one were done by an earlier run (failback) */
	uint32_t after_uid;

	struct mailbox *box;
	struct mailbox_transaction_context *read_trans, *save_trans;
	struct mail *read_mail;
	/* (size + 1) -> list of candidates not hashed yet */
	HASH_TABLE(void *, struct copy_candidate *) candidates;
	/* LF digest -> candidate (hashed; the first of equal ones) */
	HASH_TABLE(struct standby_hash *, struct copy_candidate *) hashed;
	/* primary uid -> (size + 1) */
	HASH_TABLE(void *, void *) primary_sizes;
	/* the target mailbox's GUID (hex) */
	const char *box_guid;
	/* pairs learned in the current batch, and the standby UIDs saved
	   in it, in save order (their primary UIDs come with the commit) */
	ARRAY_TYPE(standby_copy_map_entry) new_pairs;
	ARRAY(uint32_t) saved_uids;

	struct doveadm_standby_copy_result *result;
	unsigned int done_count;
	time_t last_progress;
	bool progress_printed;
	/* the first failure of a message in the current batch (pool) */
	const char *batch_error;
	const char *error;
};

static const char *copy_primary_sent(struct mail_user *user)
{
	static const char *const patterns[] = { "*", NULL };
	struct mailbox_list_iterate_context *iter;
	const struct mailbox_info *info;
	const char *vname = NULL;

	iter = mailbox_list_iter_init_namespaces(user->namespaces, patterns,
		MAIL_NAMESPACE_TYPE_PRIVATE,
		MAILBOX_LIST_ITER_SELECT_SPECIALUSE |
		MAILBOX_LIST_ITER_RETURN_SPECIALUSE |
		MAILBOX_LIST_ITER_RETURN_NO_FLAGS);
	while ((info = mailbox_list_iter_next(iter)) != NULL) {
		if (info->special_use != NULL && vname == NULL &&
		    str_array_icase_find(t_strsplit_spaces(info->special_use,
							   " "), "\\Sent"))
			vname = t_strdup(info->vname);
	}
	(void)mailbox_list_iter_deinit(&iter);
	return vname;
}

const char *
doveadm_standby_copy_target(struct mail_user *user,
			    const struct standby_imap_folder *folder)
{
	struct mail_namespace *ns;
	const char *vname;
	string_t *str;
	char sep;

	if (folder->sent && (vname = copy_primary_sent(user)) != NULL)
		return vname;
	if (strcasecmp(folder->name, "INBOX") == 0)
		return "INBOX";
	ns = mail_namespace_find_inbox(user->namespaces);
	sep = mail_namespace_get_sep(ns);
	str = t_str_new(64);
	str_append(str, ns->prefix);
	for (const char *p = folder->name; *p != '\0'; p++)
		str_append_c(str, *p == folder->sep && folder->sep != '\0' ?
			     sep : *p);
	return str_c(str);
}

static void copy_progress(struct copy_ctx *ctx, bool last)
{
	if (!last && ioloop_time - ctx->last_progress <
	    COPY_PROGRESS_INTERVAL_SECS)
		return;
	if (last && !ctx->progress_printed)
		return;
	ctx->last_progress = ioloop_time;
	ctx->progress_printed = TRUE;
	doveadm_standby_progress("standby: %s: %s: %u/%u messages done",
				 ctx->user->username, ctx->folder,
				 ctx->done_count, array_count(&ctx->metas));
}

static int copy_meta_cmp(const struct copy_meta *a, const struct copy_meta *b)
{
	return a->uid < b->uid ? -1 : (a->uid > b->uid ? 1 : 0);
}

static int copy_meta_uid_cmp(const uint32_t *uid, const struct copy_meta *meta)
{
	return *uid < meta->uid ? -1 : (*uid > meta->uid ? 1 : 0);
}

/* The meta of a UID, to change it. array_bsearch() gives a const element
   on Dovecot 2.4 (which has array_bsearch_modifiable() instead), a
   writable one on 2.3: the index of the one found serves both. */
static struct copy_meta *copy_meta_find(struct copy_ctx *ctx, uint32_t uid)
{
	const struct copy_meta *meta;

	meta = array_bsearch(&ctx->metas, &uid, copy_meta_uid_cmp);
	if (meta == NULL)
		return NULL;
	return array_idx_modifiable(&ctx->metas,
				    meta - array_front(&ctx->metas));
}

static void copy_meta_callback(const struct standby_imap_message *msg,
			       void *context)
{
	struct copy_ctx *ctx = context;
	struct copy_meta *meta;

	if (msg->uid > ctx->max_uid)
		ctx->max_uid = msg->uid;
	if (msg->uid <= ctx->after_uid) {
		/* "N:*" returns the last message even when its UID < N: it
		   was done before, neither new nor skipped now */
		return;
	}
	if (ctx->set->since != 0 && msg->have_date &&
	    msg->internal_date < ctx->set->since)
		return;
	if (ctx->set->before != 0 && msg->have_date &&
	    msg->internal_date >= ctx->set->before)
		return;
	if (ctx->set->skip != NULL &&
	    ctx->set->skip(ctx->folder, ctx->uidvalidity, msg, NULL,
			   ctx->set->context)) {
		ctx->result->skipped++;
		return;
	}
	meta = array_append_space(&ctx->metas);
	meta->uid = msg->uid;
	meta->size = msg->size;
	meta->date = msg->have_date ? msg->internal_date : (time_t)-1;
	meta->tz = msg->tz_offset_mins;
	meta->flags = p_strarray_dup(ctx->pool, msg->flags);
}

static unsigned int copy_hash_key(const struct standby_hash *hash)
{
	unsigned int key;

	/* a SHA-256 digest is evenly spread already */
	memcpy(&key, hash->lf, sizeof(key));
	return key;
}

static int copy_hash_cmp(const struct standby_hash *a,
			 const struct standby_hash *b)
{
	return memcmp(a->lf, b->lf, sizeof(a->lf));
}

static void copy_add_hashed(struct copy_ctx *ctx, struct copy_candidate *cand)
{
	i_assert(cand->hashed);
	if (hash_table_lookup(ctx->hashed, &cand->hash) == NULL)
		hash_table_insert(ctx->hashed, &cand->hash, cand);
}

static void copy_add_candidate(struct copy_ctx *ctx, uoff_t size,
			       struct copy_candidate *cand)
{
	void *key = POINTER_CAST(size + 1);

	if (cand->hashed) {
		copy_add_hashed(ctx, cand);
		return;
	}
	cand->next = hash_table_lookup(ctx->candidates, key);
	hash_table_update(ctx->candidates, key, cand);
}

/* Index the target mailbox by size (cheap: maildir keeps it in the file
   name, other formats in the index/cache). Bodies are hashed only for a
   standby message of the same size. */
static int copy_index_primary(struct copy_ctx *ctx)
{
	struct mail_search_args *search_args;
	struct mail_search_context *search_ctx;
	struct copy_candidate *cand;
	struct mail *mail;
	uoff_t size;
	int ret = 0;

	search_args = mail_search_build_init();
	mail_search_build_add_all(search_args);
	search_ctx = mailbox_search_init(ctx->read_trans, search_args, NULL,
					 MAIL_FETCH_VIRTUAL_SIZE, NULL);
	mail_search_args_unref(&search_args);
	while (mailbox_search_next(search_ctx, &mail)) {
		if (mail_get_virtual_size(mail, &size) < 0) {
			if (mail->expunged)
				continue;
			ret = -1;
			break;
		}
		cand = p_new(ctx->pool, struct copy_candidate, 1);
		cand->uid = mail->uid;
		copy_add_candidate(ctx, size, cand);
		hash_table_update(ctx->primary_sizes, POINTER_CAST(mail->uid),
				  POINTER_CAST(size + 1));
	}
	if (mailbox_search_deinit(&search_ctx) < 0)
		ret = -1;
	if (ret < 0) {
		ctx->error = t_strdup_printf("Can't read %s on the primary: %s",
			ctx->target_vname,
			mailbox_get_last_internal_error(ctx->box, NULL));
	}
	return ret;
}

static int copy_candidate_hash(struct copy_ctx *ctx,
			       struct copy_candidate *cand)
{
	struct istream *input;
	const char *error;

	if (cand->hashed)
		return 0;
	if (!mail_set_uid(ctx->read_mail, cand->uid))
		return -1;	/* expunged meanwhile */
	if (mail_get_stream(ctx->read_mail, NULL, NULL, &input) < 0)
		return -1;
	if (standby_hash_stream_full(input, FALSE, &cand->hash, &error) < 0) {
		e_error(ctx->cmd->event, "%s", error);
		return -1;
	}
	cand->hashed = TRUE;
	return 0;
}

/* Does the primary hold a message with these bytes? The primary's
   messages of this size are hashed (once each) the first time a standby
   message of that size comes by; after that it is one lookup, also when
   thousands of messages have the same size. */
static struct copy_candidate *
copy_primary_has(struct copy_ctx *ctx, uoff_t size,
		 const struct standby_hash *hash)
{
	void *key = POINTER_CAST(size + 1);
	struct copy_candidate *cand, *next;

	cand = hash_table_lookup(ctx->candidates, key);
	if (cand != NULL) {
		hash_table_remove(ctx->candidates, key);
		for (; cand != NULL; cand = next) {
			next = cand->next;
			cand->next = NULL;
			if (copy_candidate_hash(ctx, cand) == 0)
				copy_add_hashed(ctx, cand);
		}
	}
	return hash_table_lookup(ctx->hashed, hash);
}

static void copy_add_pair(struct copy_ctx *ctx, uint32_t standby_uid,
			  uint32_t primary_uid)
{
	struct standby_copy_map_entry *pair;

	if (ctx->box_guid == NULL || primary_uid == 0)
		return;
	pair = array_append_space(&ctx->new_pairs);
	pair->standby_uid = standby_uid;
	pair->primary_guid = ctx->box_guid;
	pair->primary_uid = primary_uid;
}

/* Messages the copy map pairs with a primary message that still exists
   (same size) are present: no fetch, no hashing. */
static void copy_map_apply(struct copy_ctx *ctx)
{
	ARRAY_TYPE(standby_copy_map_entry) entries;
	const struct standby_copy_map_entry *entry;
	struct copy_meta *meta;
	const char *error;
	unsigned int i;
	void *size1;

	if (ctx->box_guid == NULL)
		return;
	p_array_init(&entries, ctx->pool, 256);
	if (standby_copy_map_read(ctx->cmd->set->state_dir, ctx->folder,
				  ctx->uidvalidity, ctx->pool,
				  &entries, &error) < 0) {
		e_warning(ctx->cmd->event, "%s", error);
		return;
	}
	array_foreach(&entries, entry) {
		meta = copy_meta_find(ctx, entry->standby_uid);
		if (meta == NULL || meta->done ||
		    strcmp(entry->primary_guid, ctx->box_guid) != 0)
			continue;
		size1 = hash_table_lookup(ctx->primary_sizes,
					  POINTER_CAST(entry->primary_uid));
		if (size1 == NULL || POINTER_CAST_TO(size1, uoff_t) !=
		    meta->size + 1)
			continue;
		meta->done = TRUE;
		ctx->result->present++;
	}
	/* keep only what still needs a look */
	for (i = 0; i < array_count(&ctx->metas); ) {
		const struct copy_meta *m = array_idx(&ctx->metas, i);

		if (m->done)
			array_delete(&ctx->metas, i, 1);
		else
			i++;
	}
}

/* After a batch's commit: remember which primary UID each copy got */
static void copy_map_save(struct copy_ctx *ctx,
			  const struct mail_transaction_commit_changes *changes)
{
	const uint32_t *saved;
	struct seq_range_iter iter;
	unsigned int i, count;
	uint32_t uid;
	const char *error;

	saved = array_get(&ctx->saved_uids, &count);
	if (changes != NULL &&
	    seq_range_count(&changes->saved_uids) == count) {
		/* UIDs are assigned in save order */
		seq_range_array_iter_init(&iter, &changes->saved_uids);
		for (i = 0; i < count; i++) {
			if (seq_range_array_iter_nth(&iter, i, &uid))
				copy_add_pair(ctx, saved[i], uid);
		}
	}
	if (!ctx->set->dry_run &&
	    standby_copy_map_append(ctx->cmd->set->state_dir, ctx->folder,
				    ctx->uidvalidity, &ctx->new_pairs,
				    &error) < 0)
		e_warning(ctx->cmd->event, "%s", error);
	array_clear(&ctx->new_pairs);
	array_clear(&ctx->saved_uids);
}

static int copy_save(struct copy_ctx *ctx, const struct copy_meta *meta,
		     struct istream *input, const char **error_r)
{
	struct mail_save_context *save_ctx;
	struct mail_keywords *kw = NULL;
	ARRAY_TYPE(const_string) keywords;
	enum mail_flags flags = 0;
	const char *const *f;
	bool failed = FALSE;
	ssize_t ret;

	t_array_init(&keywords, 8);
	for (f = meta->flags; f != NULL && *f != NULL; f++) {
		if (**f == '\\')
			flags |= imap_parse_system_flag(*f);
		else
			array_push_back(&keywords, f);
	}
	if (ctx->set->keyword != NULL)
		array_push_back(&keywords, &ctx->set->keyword);
	if (array_count(&keywords) > 0) {
		array_append_zero(&keywords);
		kw = mailbox_keywords_create_valid(ctx->box,
						   array_front(&keywords));
	}

	save_ctx = mailbox_save_alloc(ctx->save_trans);
	mailbox_save_set_flags(save_ctx, flags & ~MAIL_RECENT, kw);
	if (meta->date != (time_t)-1)
		mailbox_save_set_received_date(save_ctx, meta->date, meta->tz);
	if (mailbox_save_begin(&save_ctx, input) < 0)
		failed = TRUE;
	else {
		do {
			if (mailbox_save_continue(save_ctx) < 0) {
				failed = TRUE;
				break;
			}
		} while ((ret = i_stream_read(input)) > 0);
		if (input->stream_errno != 0 || failed) {
			failed = TRUE;
			mailbox_save_cancel(&save_ctx);
		} else if (mailbox_save_finish(&save_ctx) < 0) {
			failed = TRUE;
		}
	}
	if (kw != NULL)
		mailbox_keywords_unref(&kw);
	if (failed) {
		*error_r = t_strdup_printf("Saving UID %u into %s failed: %s",
			meta->uid, ctx->target_vname,
			input->stream_errno != 0 ? i_stream_get_error(input) :
			mailbox_get_last_internal_error(ctx->box, NULL));
		return -1;
	}
	return 0;
}

static void copy_dry_run_print(struct copy_ctx *ctx,
			       const struct copy_meta *meta)
{
	doveadm_print(ctx->user->username);
	doveadm_print(ctx->folder);
	doveadm_print_num(meta->uid);
	doveadm_print_num(meta->size);
	doveadm_print(meta->date == (time_t)-1 ? "" :
		      t_strflocaltime("%Y-%m-%d %H:%M:%S", meta->date));
	doveadm_print(ctx->target_vname);
}

static void copy_message_failed(struct copy_ctx *ctx, const char *error)
{
	e_error(ctx->cmd->event, "%s", error);
	ctx->result->failed++;
	if (ctx->batch_error == NULL)
		ctx->batch_error = p_strdup(ctx->pool, error);
}

/* One message's bytes are here: compare, then save or count it */
static void copy_message(struct copy_ctx *ctx, struct copy_meta *meta,
			 const struct standby_imap_message *msg)
{
	struct copy_candidate *cand;
	struct standby_hash hash;
	const char *error;

	meta->done = TRUE;
	ctx->done_count++;

	T_BEGIN {
		/* all digests only for the skip callback's ledger lookup */
		if (standby_hash_stream_full(msg->body, ctx->set->skip != NULL,
					     &hash, &error) < 0) {
			copy_message_failed(ctx, error);
		} else if (ctx->set->skip != NULL &&
			   ctx->set->skip(ctx->folder, ctx->uidvalidity, msg,
					  &hash, ctx->set->context)) {
			ctx->result->skipped++;
		} else if ((cand = copy_primary_has(ctx, meta->size,
						    &hash)) != NULL) {
			ctx->result->present++;
			copy_add_pair(ctx, meta->uid, cand->uid);
		} else if (ctx->set->dry_run) {
			copy_dry_run_print(ctx, meta);
			ctx->result->copied++;
			/* a duplicate on the standby is copied once */
			cand = p_new(ctx->pool, struct copy_candidate, 1);
			cand->hashed = TRUE;
			cand->hash = hash;
			copy_add_candidate(ctx, meta->size, cand);
		} else if (copy_save(ctx, meta, msg->body, &error) < 0) {
			copy_message_failed(ctx, error);
		} else {
			ctx->result->copied++;
			array_push_back(&ctx->saved_uids, &meta->uid);
			cand = p_new(ctx->pool, struct copy_candidate, 1);
			cand->hashed = TRUE;
			cand->hash = hash;
			copy_add_candidate(ctx, meta->size, cand);
		}
	} T_END;
	copy_progress(ctx, FALSE);
}

static void copy_body_callback(const struct standby_imap_message *msg,
			       void *context)
{
	struct copy_ctx *ctx = context;
	struct copy_meta *meta;

	meta = copy_meta_find(ctx, msg->uid);
	if (meta == NULL || meta->done || meta->size > COPY_LARGE_MESSAGE)
		return;
	copy_message(ctx, meta, msg);
}

struct copy_part_ctx {
	int fd;
	const char *path;
	uoff_t received;
	const char *error;
};

static void copy_part_callback(const struct standby_imap_message *msg,
			       void *context)
{
	struct copy_part_ctx *pctx = context;
	const unsigned char *data;
	size_t size;

	while (pctx->error == NULL &&
	       i_stream_read_more(msg->body, &data, &size) > 0) {
		if (write_full(pctx->fd, data, size) < 0) {
			pctx->error = t_strdup_printf(
				"write(%s) failed: %m", pctx->path);
		}
		pctx->received += size;
		i_stream_skip(msg->body, size);
	}
}

/* A large message: fetched in parts into an unlinked temp file, so that
   memory stays bounded whatever its size */
static int copy_large(struct copy_ctx *ctx, struct copy_meta *meta)
{
	struct copy_part_ctx pctx;
	struct standby_imap_message msg;
	string_t *path;
	uoff_t before;
	const char *error;
	int ret = 0;

	i_zero(&pctx);
	path = t_str_new(128);
	mail_user_set_get_temp_prefix(path, ctx->user->set);
	pctx.fd = safe_mkstemp_hostpid(path, 0600, (uid_t)-1, (gid_t)-1);
	if (pctx.fd == -1) {
		ctx->error = t_strdup_printf("safe_mkstemp(%s) failed: %m",
					     str_c(path));
		return -1;
	}
	pctx.path = str_c(path);
	i_unlink(pctx.path);
	do {
		before = pctx.received;
		if (standby_imap_fetch_part(ctx->imap, meta->uid,
					    pctx.received, COPY_PART_SIZE,
					    copy_part_callback, &pctx,
					    &error) < 0) {
			ctx->error = error;
			ret = -1;
		} else if (pctx.error != NULL) {
			ctx->error = pctx.error;
			ret = -1;
		}
	} while (ret == 0 && pctx.received - before == COPY_PART_SIZE);

	if (ret == 0 && pctx.received == 0) {
		/* expunged meanwhile */
		meta->done = TRUE;
		ctx->done_count++;
	} else if (ret == 0) {
		i_zero(&msg);
		msg.uid = meta->uid;
		msg.size = meta->size;
		msg.flags = meta->flags;
		msg.body = i_stream_create_fd(pctx.fd, IO_BLOCK_SIZE);
		i_stream_set_name(msg.body, "FETCH BODY[]");
		copy_message(ctx, meta, &msg);
		i_stream_unref(&msg.body);
	}
	i_close_fd(&pctx.fd);
	return ret;
}

static int copy_open_target(struct copy_ctx *ctx)
{
	struct mailbox_metadata metadata;
	struct mail_namespace *ns;
	enum mail_error error;

	ns = mail_namespace_find(ctx->user->namespaces, ctx->target_vname);
	ctx->box = mailbox_alloc(ns->list, ctx->target_vname, 0);
	if (mailbox_open(ctx->box) < 0) {
		(void)mailbox_get_last_error(ctx->box, &error);
		if (error != MAIL_ERROR_NOTFOUND)
			goto failed;
		if (ctx->set->dry_run)
			return 0;
		if (mailbox_create(ctx->box, NULL, FALSE) < 0) {
			(void)mailbox_get_last_error(ctx->box, &error);
			if (error != MAIL_ERROR_EXISTS)
				goto failed;
		}
		mailbox_free(&ctx->box);
		ctx->box = mailbox_alloc(ns->list, ctx->target_vname, 0);
		if (mailbox_open(ctx->box) < 0)
			goto failed;
	}
	if (mailbox_sync(ctx->box, 0) < 0)
		goto failed;
	if (mailbox_get_metadata(ctx->box, MAILBOX_METADATA_GUID,
				 &metadata) == 0) {
		ctx->box_guid = p_strdup(ctx->pool,
					 guid_128_to_string(metadata.guid));
	}
	return 1;
failed:
	ctx->error = t_strdup_printf("Can't open %s on the primary: %s",
		ctx->target_vname,
		mailbox_get_last_internal_error(ctx->box, NULL));
	mailbox_free(&ctx->box);
	return -1;
}

/* Fetch the bodies of metas[first..end) and save what the primary lacks.
   Returns 0, or -1 with ctx->error (the batch is not reported done). */
static int copy_batch(struct copy_ctx *ctx, unsigned int first,
		      unsigned int end)
{
	const struct copy_meta *metas = array_front(&ctx->metas);
	ARRAY_TYPE(seq_range) uids;
	const char *error;
	unsigned int i;
	int ret = 0;

	t_array_init(&uids, 32);
	for (i = first; i < end; i++) {
		if (metas[i].size <= COPY_LARGE_MESSAGE)
			seq_range_array_add(&uids, metas[i].uid);
	}
	ctx->batch_error = NULL;
	if (ctx->box != NULL && !ctx->set->dry_run) {
		ctx->save_trans = mailbox_transaction_begin(ctx->box,
			MAILBOX_TRANSACTION_FLAG_EXTERNAL |
			MAILBOX_TRANSACTION_FLAG_NO_NOTIFY |
			MAILBOX_TRANSACTION_FLAG_ASSIGN_UIDS, __func__);
	}
	if (standby_imap_fetch(ctx->imap, &uids, STANDBY_IMAP_FETCH_FLAG_BODY,
			       copy_body_callback, ctx, &error) < 0) {
		ctx->error = error;
		ret = -1;
	}
	for (i = first; i < end && ret == 0; i++) {
		if (metas[i].size > COPY_LARGE_MESSAGE &&
		    copy_large(ctx, array_idx_modifiable(&ctx->metas, i)) < 0)
			ret = -1;
	}
	/* what was saved is committed even when the connection broke:
	   the next run finds it by content and does not copy it again */
	if (ctx->save_trans != NULL) {
		struct mail_transaction_commit_changes changes;

		if (mailbox_transaction_commit_get_changes(&ctx->save_trans,
							   &changes) < 0) {
			ctx->error = t_strdup_printf(
				"Saving into %s failed: %s", ctx->target_vname,
				mailbox_get_last_internal_error(ctx->box,
								NULL));
			array_clear(&ctx->saved_uids);
			copy_map_save(ctx, NULL);
			ret = -1;
		} else {
			copy_map_save(ctx, &changes);
			pool_unref(&changes.pool);
		}
	} else {
		copy_map_save(ctx, NULL);
	}
	if (ret == 0) {
		/* the server did not send some (expunged meanwhile) */
		for (i = first; i < end; i++) {
			if (!metas[i].done)
				ctx->done_count++;
		}
	}
	if (ret == 0 && ctx->batch_error != NULL) {
		ctx->error = ctx->batch_error;
		ret = -1;
	}
	if (ret == 0 && ctx->set->batch_done != NULL &&
	    ctx->set->batch_done(ctx->folder, ctx->uidvalidity,
				 metas[end-1].uid, ctx->set->context,
				 &error) < 0) {
		ctx->error = error;
		ret = -1;
	}
	return ret;
}

/* Everything up to the highest UID seen is done (also what was skipped
   or filtered out before a batch): record it. */
static int copy_folder_finish(struct copy_ctx *ctx, uint32_t after_uid)
{
	const char *error;

	if (ctx->set->batch_done == NULL || ctx->max_uid <= after_uid)
		return 0;
	if (ctx->set->batch_done(ctx->folder, ctx->uidvalidity, ctx->max_uid,
				 ctx->set->context, &error) < 0) {
		ctx->error = p_strdup(ctx->pool, error);
		return -1;
	}
	return 0;
}

static int copy_folder_real(struct copy_ctx *ctx, uint32_t after_uid,
			    bool *notfound_r)
{
	ARRAY_TYPE(seq_range) uids;
	const struct copy_meta *metas;
	unsigned int i, first, count;
	uint32_t exists;
	uoff_t batch_bytes;
	const char *error;
	int ret;

	*notfound_r = FALSE;
	ret = standby_imap_examine(ctx->imap, ctx->folder, &ctx->uidvalidity,
				   &exists, &error);
	if (ret <= 0) {
		*notfound_r = ret == 0;
		ctx->error = ret == 0 ? t_strdup_printf(
			"Standby folder %s not found", ctx->folder) : error;
		return -1;
	}
	if (ctx->set->resume_uid != NULL) {
		after_uid = ctx->set->resume_uid(ctx->folder, ctx->uidvalidity,
						 ctx->set->context);
	}
	if (exists == 0)
		return 0;

	ctx->after_uid = after_uid;
	t_array_init(&uids, 1);
	seq_range_array_add_range(&uids, after_uid + 1, (uint32_t)-1);
	if (standby_imap_fetch(ctx->imap, &uids, STANDBY_IMAP_FETCH_FLAG_META,
			       copy_meta_callback, ctx, &error) < 0) {
		ctx->error = error;
		return -1;
	}
	array_sort(&ctx->metas, copy_meta_cmp);
	/* "N:*" matches the last message even when its UID < N */
	while (array_count(&ctx->metas) > 0) {
		metas = array_front(&ctx->metas);
		if (metas[0].uid > after_uid)
			break;
		array_pop_front(&ctx->metas);
	}
	metas = array_get(&ctx->metas, &count);
	ctx->result->found = count;
	if (count == 0)
		return copy_folder_finish(ctx, after_uid);

	if ((ret = copy_open_target(ctx)) < 0)
		return -1;
	if (ret > 0) {
		ctx->read_trans = mailbox_transaction_begin(ctx->box, 0,
							    __func__);
		ctx->read_mail = mail_alloc(ctx->read_trans, 0, NULL);
		if (copy_index_primary(ctx) < 0)
			return -1;
		copy_map_apply(ctx);
		metas = array_get(&ctx->metas, &count);
	}

	for (first = 0; first < count; first = i) {
		batch_bytes = 0;
		for (i = first; i < count && i - first < COPY_BATCH_MAX_MESSAGES;
		     i++) {
			if (i > first && batch_bytes + metas[i].size >
			    COPY_BATCH_MAX_BYTES)
				break;
			batch_bytes += metas[i].size;
		}
		T_BEGIN {
			ret = copy_batch(ctx, first, i);
			if (ret < 0)
				ctx->error = p_strdup(ctx->pool, ctx->error);
		} T_END;
		if (ret < 0)
			return -1;
		copy_progress(ctx, FALSE);
	}
	copy_progress(ctx, TRUE);
	return copy_folder_finish(ctx, after_uid);
}

enum doveadm_standby_copy_ret
doveadm_standby_copy_folder(struct doveadm_standby_cmd_context *cmd,
			    struct mail_user *user, struct standby_imap *imap,
			    const struct doveadm_standby_copy_settings *set,
			    const char *folder, const char *target_vname,
			    uint32_t after_uid,
			    struct doveadm_standby_copy_result *result_r,
			    uint32_t *uidvalidity_r, const char **error_r)
{
	struct copy_ctx ctx;
	bool notfound;
	int ret;

	i_zero(result_r);
	i_zero(&ctx);
	ctx.cmd = cmd;
	ctx.user = user;
	ctx.imap = imap;
	ctx.set = set;
	ctx.folder = folder;
	ctx.target_vname = target_vname;
	ctx.result = result_r;
	ctx.last_progress = ioloop_time;
	ctx.pool = pool_alloconly_create("standby copy", 1024*64);
	p_array_init(&ctx.metas, ctx.pool, 256);
	hash_table_create_direct(&ctx.candidates, ctx.pool, 0);
	hash_table_create(&ctx.hashed, ctx.pool, 0, copy_hash_key,
			  copy_hash_cmp);
	hash_table_create_direct(&ctx.primary_sizes, ctx.pool, 0);
	p_array_init(&ctx.new_pairs, ctx.pool, 64);
	p_array_init(&ctx.saved_uids, ctx.pool, 64);

	ret = copy_folder_real(&ctx, after_uid, &notfound);
	if (ret < 0)
		*error_r = t_strdup(ctx.error);
	*uidvalidity_r = ctx.uidvalidity;

	if (ctx.read_mail != NULL)
		mail_free(&ctx.read_mail);
	if (ctx.read_trans != NULL)
		(void)mailbox_transaction_commit(&ctx.read_trans);
	if (ctx.box != NULL)
		mailbox_free(&ctx.box);
	hash_table_destroy(&ctx.candidates);
	hash_table_destroy(&ctx.hashed);
	hash_table_destroy(&ctx.primary_sizes);
	pool_unref(&ctx.pool);
	if (ret == 0)
		return DOVEADM_STANDBY_COPY_OK;
	return notfound ? DOVEADM_STANDBY_COPY_NOTFOUND :
		DOVEADM_STANDBY_COPY_ERROR;
}

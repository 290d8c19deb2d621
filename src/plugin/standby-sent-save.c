/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Sent mail is mirrored by imapsieve, which runs the user's rules after
   the save is committed, on the message read back through a second
   mailbox object. For Maildir, that object's first read of a message it
   has not synced rescans the mailbox directories and dovecot-uidlist, per
   APPEND, so the mirror made saving into a large Sent folder slower and
   slower. Here the message is copied once while it is being saved (the
   file is still at hand, nothing to look up), and renamed after its UID
   as soon as the commit has assigned it, where the Sieve action finds it.
   A capture that is missing only means the action reads the message from
   the mailbox as before; copies into \Sent (COPY, MOVE) take that path,
   too.

   imapsieve runs the scripts inside its transaction_commit(), which this
   plugin's wraps (plugins loaded first are the outer ones). So the UIDs
   are taken from the commit's changes when imapsieve allocates its
   second mailbox object, after the inner commit filled them in and before
   any script runs; or, without imapsieve, when the commit returns. */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "standby-settings.h"
#include "standby-sent-capture.h"
#include "standby-plugin.h"
#include "standby-sent-save.h"

#include <stdio.h>

/* leftovers of a process that died mid-command */
#define STANDBY_SENT_SAVE_STALE_SECS (60 * 60)
/* A larger message is not copied while it is saved (the copy would cost
   more than the read-back it saves, and most likely nobody needs it):
   the Sieve action reads it from the mailbox. */
#define STANDBY_SENT_SAVE_MAX_SIZE (4 * 1024 * 1024)

#define STANDBY_SENT_CONTEXT(obj) \
	MODULE_CONTEXT(obj, standby_sent_storage_module)
#define STANDBY_SENT_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, standby_sent_storage_module)

struct standby_sent_capture {
	unsigned int save_index;
	const char *temp_path;
};

struct standby_sent_transaction {
	union mailbox_transaction_module_context module_ctx;
	pool_t pool;
	unsigned int id;
	ARRAY(struct standby_sent_capture) captures;

	/* while committing: */
	struct mail_transaction_commit_changes *changes;
	const char *vname;
	unsigned int save_count;
	bool named;
};

static MODULE_CONTEXT_DEFINE_INIT(standby_sent_storage_module,
				  &mail_storage_module_register);
static unsigned int standby_sent_transaction_counter = 0;
static bool standby_sent_stale_checked = FALSE;

static void standby_sent_transaction_free(struct standby_sent_transaction **_st)
{
	struct standby_sent_transaction *st = *_st;

	*_st = NULL;
	pool_unref(&st->pool);
}

static void
standby_sent_transaction_unlink(struct standby_sent_transaction *st)
{
	const struct standby_sent_capture *cap;

	array_foreach(&st->captures, cap)
		i_unlink_if_exists(cap->temp_path);
}

static struct standby_sent_transaction *
standby_sent_transaction_get(struct mailbox_transaction_context *t)
{
	struct standby_sent_transaction *st = STANDBY_SENT_CONTEXT(t);
	pool_t pool;

	if (st != NULL)
		return st;
	pool = pool_alloconly_create("standby sent captures", 512);
	st = p_new(pool, struct standby_sent_transaction, 1);
	st->pool = pool;
	st->id = ++standby_sent_transaction_counter;
	p_array_init(&st->captures, pool, 4);
	MODULE_CONTEXT_SET(t, standby_sent_storage_module, st);
	return st;
}

static void
standby_sent_capture_mail(struct standby_user *suser,
			  struct mailbox_transaction_context *t,
			  struct mail *mail, unsigned int save_index)
{
	struct standby_sent_transaction *st;
	struct standby_sent_capture *cap;
	struct istream *input;
	const char *path, *error;
	uoff_t size;

	if (!standby_sent_stale_checked) {
		standby_sent_stale_checked = TRUE;
		standby_sent_capture_cleanup(suser->set->state_dir,
					     STANDBY_SENT_SAVE_STALE_SECS,
					     suser->event);
	}

	st = standby_sent_transaction_get(t);
	path = standby_sent_capture_temp_path(suser->set->state_dir, st->id,
					      save_index);
	if (mail_get_stream(mail, NULL, NULL, &input) < 0) {
		e_debug(suser->event, "Sent mail not captured: %s",
			mailbox_get_last_internal_error(mail->box, NULL));
		return;
	}
	if (i_stream_get_size(input, TRUE, &size) > 0 &&
	    size > STANDBY_SENT_SAVE_MAX_SIZE)
		return;
	i_stream_seek(input, 0);
	if (standby_sent_capture_write(path, input, &error) < 0) {
		/* the Sieve action reads the message from the mailbox */
		e_warning(suser->event, "Sent mail not captured: %s", error);
		return;
	}
	cap = array_append_space(&st->captures);
	cap->save_index = save_index;
	cap->temp_path = p_strdup(st->pool, path);
}

static int standby_sent_save_finish(struct mail_save_context *ctx)
{
	struct mailbox_transaction_context *t = ctx->transaction;
	struct mailbox *box = t->box;
	union mailbox_module_context *sbox = STANDBY_SENT_CONTEXT_REQUIRE(box);
	struct standby_user *suser = STANDBY_USER_CONTEXT(box->storage->user);
	/* mailbox_save_finish() counts the save after this returns: this is
	   the message's position in the commit's saved UIDs. Copies that
	   fall back to saving are counted by mailbox_copy() instead. */
	unsigned int save_index = t->save_count;
	bool copying = ctx->copying_via_save;
	struct mail *mail = ctx->dest_mail;

	if (sbox->super.save_finish(ctx) < 0)
		return -1;
	if (!copying && suser != NULL && suser->set != NULL &&
	    mailbox_has_special_use(box, "\\Sent")) T_BEGIN {
		standby_sent_capture_mail(suser, t, mail, save_index);
	} T_END;
	return 0;
}

/* Rename the captures after their UIDs, once the commit has assigned
   them. */
static void
standby_sent_name_captures(struct standby_user *suser,
			   struct standby_sent_transaction *st)
{
	const struct mail_transaction_commit_changes *changes = st->changes;
	const struct standby_sent_capture *cap;
	struct seq_range_iter iter;
	const char *path;
	char *owned;
	uint32_t uid;

	if (st->named || changes->pool == NULL ||
	    seq_range_count(&changes->saved_uids) != st->save_count)
		return;
	st->named = TRUE;

	seq_range_array_iter_init(&iter, &changes->saved_uids);
	array_foreach(&st->captures, cap) {
		if (!seq_range_array_iter_nth(&iter, cap->save_index, &uid)) {
			i_unlink_if_exists(cap->temp_path);
			continue;
		}
		path = standby_sent_capture_path(suser->set->state_dir,
						 st->vname,
						 changes->uid_validity, uid);
		if (rename(cap->temp_path, path) < 0) {
			e_warning(suser->event, "rename(%s, %s) failed: %m",
				  cap->temp_path, path);
			i_unlink_if_exists(cap->temp_path);
			continue;
		}
		owned = i_strdup(path);
		array_push_back(&suser->sent_captures, &owned);
	}
}

static int
standby_sent_transaction_commit(struct mailbox_transaction_context *t,
				struct mail_transaction_commit_changes *changes_r)
{
	struct mailbox *box = t->box;
	union mailbox_module_context *sbox = STANDBY_SENT_CONTEXT_REQUIRE(box);
	struct standby_user *suser = STANDBY_USER_CONTEXT_REQUIRE(
		box->storage->user);
	struct standby_sent_transaction *st = STANDBY_SENT_CONTEXT(t);
	struct standby_sent_transaction *prev_commit = suser->sent_commit;
	int ret;

	/* The captures of an earlier commit are done with: imapsieve ran
	   its scripts inside that commit. */
	standby_sent_save_user_cleanup(suser);

	if (st == NULL)
		return sbox->super.transaction_commit(t, changes_r);

	st->changes = changes_r;
	st->vname = p_strdup(st->pool, mailbox_get_vname(box));
	st->save_count = t->save_count;
	suser->sent_commit = st;

	/* t is freed by the commit */
	ret = sbox->super.transaction_commit(t, changes_r);
	if (ret == 0) T_BEGIN {
		standby_sent_name_captures(suser, st);
	} T_END;
	if (!st->named)
		standby_sent_transaction_unlink(st);
	suser->sent_commit = prev_commit;
	standby_sent_transaction_free(&st);
	return ret;
}

static void
standby_sent_transaction_rollback(struct mailbox_transaction_context *t)
{
	union mailbox_module_context *sbox =
		STANDBY_SENT_CONTEXT_REQUIRE(t->box);
	struct standby_sent_transaction *st = STANDBY_SENT_CONTEXT(t);

	sbox->super.transaction_rollback(t);
	if (st != NULL) {
		standby_sent_transaction_unlink(st);
		standby_sent_transaction_free(&st);
	}
}

void standby_sent_save_mailbox_allocated(struct mailbox *box)
{
	struct mail_user *user = box->storage->user;
	struct standby_user *suser = STANDBY_USER_CONTEXT(user);
	struct mailbox_vfuncs *v = box->vlast;
	union mailbox_module_context *sbox;

	/* Only IMAP saves run imapsieve. */
	if (suser == NULL || suser->set == NULL ||
	    user->service == NULL || strcmp(user->service, "imap") != 0)
		return;

	/* imapsieve allocates its own mailbox object to run the scripts on,
	   after the inner commit assigned the UIDs */
	if (suser->sent_commit != NULL) T_BEGIN {
		standby_sent_name_captures(suser, suser->sent_commit);
	} T_END;
	if ((box->flags & MAILBOX_FLAG_READONLY) != 0)
		return;

	sbox = p_new(box->pool, union mailbox_module_context, 1);
	sbox->super = *v;
	box->vlast = &sbox->super;
	v->save_finish = standby_sent_save_finish;
	v->transaction_commit = standby_sent_transaction_commit;
	v->transaction_rollback = standby_sent_transaction_rollback;
	MODULE_CONTEXT_SET_SELF(box, standby_sent_storage_module, sbox);
}

void standby_sent_save_user_cleanup(struct standby_user *suser)
{
	char *path;

	while (array_count(&suser->sent_captures) > 0) {
		path = array_idx_elem(&suser->sent_captures,
				      array_count(&suser->sent_captures) - 1);
		array_pop_back(&suser->sent_captures);
		i_unlink_if_exists(path);
		i_free(path);
	}
}

void standby_sent_save_user_deinit(struct standby_user *suser)
{
	standby_sent_save_user_cleanup(suser);
	array_free(&suser->sent_captures);
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Sent mail is mirrored by imapsieve, which runs the user's rules after
   the save is committed, on the message read back through a second
   mailbox object. For Maildir, that object's first read of a message it
   has not synced rescans the mailbox directories and dovecot-uidlist, per
   APPEND, so the mirror made saving into a large Sent folder slower and
   slower. Here the message is copied into memory while it is being saved
   (the file is still at hand, nothing to look up), and filed under its
   UID as soon as the commit has assigned it, where the Sieve action finds
   it (standby_sent_capture_get(), which hands the copy over). A capture
   that is missing only means the action reads the message from the
   mailbox as before; copies into \Sent (COPY, MOVE) take that path, too.

   imapsieve runs the scripts inside its transaction_commit(), which this
   plugin's wraps (plugins loaded first are the outer ones). So the UIDs
   are taken from the commit's changes when imapsieve allocates its
   second mailbox object, after the inner commit filled them in and before
   any script runs, and the copies no rule took are freed when the commit
   returns. With imapsieve as the outer plugin (or none), the copies are
   named when the commit returns and kept until the user's next commit. */

#include "lib.h"
#include "array.h"
#include "buffer.h"
#include "istream.h"
#include "seq-range-array.h"
#include "mail-storage-private.h"
#include "standby-settings.h"
#include "standby-sent-capture.h"
#include "standby-plugin.h"
#include "standby-sent-save.h"

/* A larger message is not copied while it is saved (most likely nobody
   needs the copy, and memory is better spent elsewhere): the Sieve action
   reads it from the mailbox. */
#define STANDBY_SENT_SAVE_MAX_SIZE (4 * 1024 * 1024)
/* Nor more than this in one transaction (MULTIAPPEND). */
#define STANDBY_SENT_SAVE_MAX_TRANSACTION_SIZE (16 * 1024 * 1024)

#define STANDBY_SENT_CONTEXT(obj) \
	MODULE_CONTEXT(obj, standby_sent_storage_module)
#define STANDBY_SENT_CONTEXT_REQUIRE(obj) \
	MODULE_CONTEXT_REQUIRE(obj, standby_sent_storage_module)

/* a copy taken while saving, before the commit assigned its UID */
struct standby_sent_capture {
	unsigned int save_index;
	buffer_t *data;
};

/* a copy after the commit, found by the Sieve action */
struct standby_sent_copy {
	char *vname;
	uint32_t uid_validity, uid;
	buffer_t *data;
};

struct standby_sent_transaction {
	union mailbox_transaction_module_context module_ctx;
	pool_t pool;
	ARRAY(struct standby_sent_capture) captures;
	size_t captured_size;

	/* while committing: */
	struct mail_transaction_commit_changes *changes;
	const char *vname;
	unsigned int save_count;
	bool named;
};

static MODULE_CONTEXT_DEFINE_INIT(standby_sent_storage_module,
				  &mail_storage_module_register);

static void standby_sent_transaction_free(struct standby_sent_transaction **_st)
{
	struct standby_sent_transaction *st = *_st;
	struct standby_sent_capture *cap;

	*_st = NULL;
	array_foreach_modifiable(&st->captures, cap) {
		if (cap->data != NULL)
			buffer_free(&cap->data);
	}
	pool_unref(&st->pool);
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
	p_array_init(&st->captures, pool, 4);
	MODULE_CONTEXT_SET(t, standby_sent_storage_module, st);
	return st;
}

/* Read input from the start into a new buffer, or return NULL. */
static buffer_t *
standby_sent_read(struct standby_user *suser, struct istream *input,
		  size_t size)
{
	const unsigned char *data;
	buffer_t *buf;
	size_t dsize;
	int ret;

	buf = buffer_create_dynamic(default_pool, size);
	i_stream_seek(input, 0);
	while ((ret = i_stream_read_more(input, &data, &dsize)) > 0) {
		if (buf->used + dsize > size) {
			/* the message grew meanwhile: not the one saved */
			ret = 0;
			break;
		}
		buffer_append(buf, data, dsize);
		i_stream_skip(input, dsize);
	}
	if (input->stream_errno != 0) {
		e_warning(suser->event, "Sent mail not captured: "
			  "read(%s) failed: %s", i_stream_get_name(input),
			  i_stream_get_error(input));
		ret = 0;
	}
	if (ret == 0 || buf->used != size) {
		buffer_free(&buf);
		return NULL;
	}
	return buf;
}

static void
standby_sent_capture_mail(struct standby_user *suser,
			  struct mailbox_transaction_context *t,
			  struct mail *mail, unsigned int save_index)
{
	struct standby_sent_transaction *st;
	struct standby_sent_capture *cap;
	struct istream *input;
	buffer_t *data;
	uoff_t size;

	st = standby_sent_transaction_get(t);
	if (mail_get_stream(mail, NULL, NULL, &input) < 0) {
		e_debug(suser->event, "Sent mail not captured: %s",
			mailbox_get_last_internal_error(mail->box, NULL));
		return;
	}
	if (i_stream_get_size(input, TRUE, &size) <= 0 ||
	    size > STANDBY_SENT_SAVE_MAX_SIZE ||
	    st->captured_size + size > STANDBY_SENT_SAVE_MAX_TRANSACTION_SIZE)
		return;
	data = standby_sent_read(suser, input, size);
	if (data == NULL)
		return;
	st->captured_size += size;
	cap = array_append_space(&st->captures);
	cap->save_index = save_index;
	cap->data = data;
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

/* File the captures under their UIDs, once the commit has assigned
   them. */
static void
standby_sent_name_captures(struct standby_user *suser,
			   struct standby_sent_transaction *st)
{
	const struct mail_transaction_commit_changes *changes = st->changes;
	struct standby_sent_capture *cap;
	struct standby_sent_copy *copy;
	struct seq_range_iter iter;
	uint32_t uid;

	if (st->named || changes->pool == NULL ||
	    seq_range_count(&changes->saved_uids) != st->save_count)
		return;
	st->named = TRUE;

	seq_range_array_iter_init(&iter, &changes->saved_uids);
	array_foreach_modifiable(&st->captures, cap) {
		if (!seq_range_array_iter_nth(&iter, cap->save_index, &uid))
			continue;
		copy = i_new(struct standby_sent_copy, 1);
		copy->vname = i_strdup(st->vname);
		copy->uid_validity = changes->uid_validity;
		copy->uid = uid;
		copy->data = cap->data;
		cap->data = NULL;
		array_push_back(&suser->sent_captures, &copy);
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
	if (st->named) {
		/* imapsieve ran its scripts inside this commit: the copies
		   that no rule took are not needed any more */
		standby_sent_save_user_cleanup(suser);
	} else if (ret == 0) T_BEGIN {
		/* imapsieve runs after this commit returns (its plugin is
		   the outer one), or not at all: the copies wait for it
		   until the next commit */
		standby_sent_name_captures(suser, st);
	} T_END;
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
	if (st != NULL)
		standby_sent_transaction_free(&st);
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

static void standby_sent_copy_free(struct standby_sent_copy **_copy)
{
	struct standby_sent_copy *copy = *_copy;

	*_copy = NULL;
	buffer_free(&copy->data);
	i_free(copy->vname);
	i_free(copy);
}

void standby_sent_save_user_cleanup(struct standby_user *suser)
{
	struct standby_sent_copy *copy;

	array_foreach_elem(&suser->sent_captures, copy)
		standby_sent_copy_free(&copy);
	array_clear(&suser->sent_captures);
}

void standby_sent_save_user_deinit(struct standby_user *suser)
{
	standby_sent_save_user_cleanup(suser);
	array_free(&suser->sent_captures);
}

struct istream *standby_sent_capture_get(struct mail *mail)
{
	struct mail_user *user = mail->box->storage->user;
	struct standby_user *suser = STANDBY_USER_CONTEXT(user);
	struct standby_sent_copy *copy;
	struct mailbox_status status;
	struct istream *input;
	const char *vname;
	unsigned int i, count;

	if (suser == NULL || array_count(&suser->sent_captures) == 0)
		return NULL;
	mailbox_get_open_status(mail->box, STATUS_UIDVALIDITY, &status);
	vname = mailbox_get_vname(mail->box);
	count = array_count(&suser->sent_captures);
	for (i = 0; i < count; i++) {
		copy = array_idx_elem(&suser->sent_captures, i);
		/* A user has one \Sent mailbox, but two sessions may save
		   into two mailboxes with the same UIDVALIDITY */
		if (copy->uid == mail->uid &&
		    copy->uid_validity == status.uidvalidity &&
		    strcmp(copy->vname, vname) == 0)
			break;
	}
	if (i == count)
		return NULL;
	/* taken: a second action for the same message reads the mailbox */
	input = i_stream_create_copy_from_data(copy->data->data,
					       copy->data->used);
	array_delete(&suser->sent_captures, i, 1);
	standby_sent_copy_free(&copy);
	return input;
}

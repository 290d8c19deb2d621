/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* APPEND, pipelined: up to STANDBY_IMAP_MAX_APPENDS_IN_FLIGHT messages in
   flight, a missing folder created on TRYCREATE, one result per message. */

#include "lib.h"
#include "hash.h"
#include "str.h"
#include "str-sanitize.h"
#include "istream.h"
#include "imap-arg.h"
#include "imap-date.h"
#include "imap-utf7.h"
#include "standby-imap.h"
#include "standby-imap-private.h"
#include "standby-imap-parse.h"

/* Appends sent before waiting for the first tagged reply */
#define STANDBY_IMAP_MAX_APPENDS_IN_FLIGHT 16

struct standby_imap_append_batch {
	struct standby_imap *imap;
	pool_t pool;
	struct standby_imap_append *appends;
	unsigned int count, next, in_flight;
};

struct standby_imap_append_cmd {
	struct standby_imap_append_batch *batch;
	struct standby_imap_append *append;
	const char *mailbox_utf7;
	/* " (flags) \"date\"" or "" */
	const char *args;
	uoff_t start_offset, size;
	bool retried;
};

static void
standby_imap_mailbox_known(struct standby_imap *imap, const char *name_utf7)
{
	if (hash_table_lookup(imap->known_mailboxes, name_utf7) == NULL) {
		const char *name = p_strdup(imap->pool, name_utf7);

		hash_table_insert(imap->known_mailboxes, name, POINTER_CAST(1));
	}
}

static bool standby_imap_flag_is_valid(const char *flag)
{
	static const char *const system_flags[] = {
		"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft",
		NULL
	};
	unsigned int i;

	if (*flag == '\\') {
		for (i = 0; system_flags[i] != NULL; i++) {
			if (strcasecmp(flag, system_flags[i]) == 0)
				return TRUE;
		}
		return FALSE;
	}
	if (*flag == '\0')
		return FALSE;
	for (; *flag != '\0'; flag++) {
		if (!IS_ATOM_CHAR(*flag))
			return FALSE;
	}
	return TRUE;
}

static const char *
standby_imap_append_args(struct standby_imap *imap,
			 const struct standby_imap_append *append)
{
	const char *const *flag;
	string_t *str = t_str_new(128);
	size_t flags_start;

	if (append->flags != NULL && append->flags[0] != NULL) {
		str_append(str, " (");
		flags_start = str_len(str);
		for (flag = append->flags; *flag != NULL; flag++) {
			if (!standby_imap_flag_is_valid(*flag)) {
				e_warning(imap->event,
					  "Skipping invalid flag: %s",
					  str_sanitize(*flag, 64));
				continue;
			}
			if (str_len(str) > flags_start)
				str_append_c(str, ' ');
			str_append(str, *flag);
		}
		if (str_len(str) == flags_start)
			str_truncate(str, 0);
		else
			str_append_c(str, ')');
	}
	if (append->internal_date != 0 && append->internal_date != (time_t)-1) {
		str_printfa(str, " \"%s\"",
			    imap_to_datetime_tz(append->internal_date,
						append->tz_offset_mins));
	}
	return str_c(str);
}

static void
standby_imap_append_finish(struct standby_imap_append_cmd *acmd,
			   enum standby_imap_result result, const char *error)
{
	struct standby_imap_append_batch *batch = acmd->batch;
	struct standby_imap_append *append = acmd->append;

	append->result = result;
	append->error = error == NULL ? NULL : p_strdup(batch->pool, error);
	i_assert(batch->in_flight > 0);
	batch->in_flight--;

	if (result == STANDBY_IMAP_OK) {
		e_debug(batch->imap->event,
			"Appended to %s: uidvalidity=%u uid=%u",
			append->mailbox, append->uidvalidity, append->uid);
	} else {
		e_debug(batch->imap->event, "APPEND to %s failed: %s",
			append->mailbox, error);
	}
}

static void
standby_imap_append_submit_more(struct standby_imap_append_batch *batch);
static void standby_imap_append_send(struct standby_imap_append_cmd *acmd);

static void
standby_imap_append_parse_uid(struct standby_imap *imap,
			      struct standby_imap_append *append,
			      const struct imapc_command_reply *reply)
{
	const char *value = reply->resp_text_value != NULL ?
		reply->resp_text_value : "";
	uint32_t uidvalidity, uid;

	if (!standby_imap_resp_key_is(reply, "APPENDUID"))
		return;
	if (standby_imap_parse_appenduid(value, &uidvalidity, &uid) < 0) {
		/* a uid-set for one message, zeros or junk: the message
		   was stored, but its UID is unknown (as without UIDPLUS) */
		e_warning(imap->event, "The standby sent an invalid "
			  "APPENDUID for a message in %s, ignoring it: %s",
			  append->mailbox, str_sanitize(value, 64));
		return;
	}
	append->uidvalidity = uidvalidity;
	append->uid = uid;
}

static bool
standby_imap_reply_is_permanent(const struct imapc_command_reply *reply)
{
	/* RFC 4469/5530: the same command will fail again */
	return standby_imap_resp_key_is(reply, "TOOBIG") ||
		standby_imap_resp_key_is(reply, "LIMIT") ||
		standby_imap_resp_key_is(reply, "CANNOT");
}

static void
standby_imap_append_failed(struct standby_imap_append_cmd *acmd,
			   const struct imapc_command_reply *reply,
			   const char *prefix)
{
	struct standby_imap *imap = acmd->batch->imap;
	enum standby_imap_result result;
	const char *error;

	switch (reply->state) {
	case IMAPC_COMMAND_STATE_OK:
		i_unreached();
	case IMAPC_COMMAND_STATE_NO:
		result = standby_imap_reply_is_permanent(reply) ?
			STANDBY_IMAP_PERMANENT : STANDBY_IMAP_NO;
		error = reply->text_full;
		break;
	case IMAPC_COMMAND_STATE_BAD:
		result = STANDBY_IMAP_PERMANENT;
		error = t_strconcat("BAD ", reply->text_full, NULL);
		break;
	default:
		result = STANDBY_IMAP_DISCONNECTED;
		error = imap->disconnect_error != NULL ?
			imap->disconnect_error : reply->text_full;
		break;
	}
	standby_imap_append_finish(acmd, result,
		t_strconcat(prefix, standby_imap_sanitize(imap, error), NULL));
}

static void
standby_imap_create_callback(const struct imapc_command_reply *reply,
			     void *context)
{
	struct standby_imap_append_cmd *acmd = context;
	struct standby_imap_append_batch *batch = acmd->batch;
	struct standby_imap *imap = batch->imap;

	standby_imap_cmd_reply(imap, reply);
	if (reply->state == IMAPC_COMMAND_STATE_OK ||
	    (reply->state == IMAPC_COMMAND_STATE_NO &&
	     standby_imap_resp_key_is(reply, "ALREADYEXISTS"))) {
		e_debug(imap->event, "Created folder %s",
			acmd->append->mailbox);
		standby_imap_mailbox_known(imap, acmd->mailbox_utf7);
		if (imap->disconnect_error == NULL)
			standby_imap_append_send(acmd);
		else {
			standby_imap_append_finish(acmd,
				STANDBY_IMAP_DISCONNECTED,
				imap->disconnect_error);
		}
	} else {
		standby_imap_append_failed(acmd, reply, "CREATE failed: ");
	}
	standby_imap_append_submit_more(batch);
	standby_imap_cmd_done(imap);
}

static void
standby_imap_append_callback(const struct imapc_command_reply *reply,
			     void *context)
{
	struct standby_imap_append_cmd *acmd = context;
	struct standby_imap_append_batch *batch = acmd->batch;
	struct standby_imap *imap = batch->imap;
	struct imapc_command *cmd;

	standby_imap_cmd_reply(imap, reply);
	if (reply->state == IMAPC_COMMAND_STATE_OK) {
		standby_imap_append_parse_uid(imap, acmd->append, reply);
		standby_imap_mailbox_known(imap, acmd->mailbox_utf7);
		standby_imap_append_finish(acmd, STANDBY_IMAP_OK, NULL);
	} else if (reply->state == IMAPC_COMMAND_STATE_NO &&
		   standby_imap_resp_key_is(reply, "TRYCREATE") &&
		   !acmd->retried && imap->disconnect_error == NULL) {
		/* create the folder, then try once more */
		acmd->retried = TRUE;
		if (hash_table_lookup(imap->known_mailboxes,
				      acmd->mailbox_utf7) != NULL) {
			/* created by us, but TRYCREATE again: the server
			   is confused; fail after one more APPEND */
			standby_imap_append_send(acmd);
		} else {
			cmd = standby_imap_cmd(imap,
				standby_imap_create_callback, acmd);
			imapc_command_sendf(cmd, "CREATE %s",
					    acmd->mailbox_utf7);
		}
	} else {
		standby_imap_append_failed(acmd, reply, "");
	}
	standby_imap_append_submit_more(batch);
	standby_imap_cmd_done(imap);
}

static void standby_imap_append_send(struct standby_imap_append_cmd *acmd)
{
	struct standby_imap *imap = acmd->batch->imap;
	struct imapc_command *cmd;
	struct istream *input;

	/* a stream of its own from offset 0 with a known size: %p sends
	   it as a literal. Never IMAPC_COMMAND_FLAG_RETRIABLE. */
	input = i_stream_create_range(acmd->append->input,
				      acmd->start_offset, acmd->size);
	cmd = standby_imap_cmd(imap, standby_imap_append_callback, acmd);
	imapc_command_sendf(cmd, "APPEND %s%1s %p", acmd->mailbox_utf7,
			    acmd->args, input);
	i_stream_unref(&input);
}

static void
standby_imap_append_start(struct standby_imap_append_batch *batch,
			  struct standby_imap_append *append)
{
	struct standby_imap_append_cmd *acmd;
	const char *name_utf7;
	uoff_t size;

	acmd = p_new(batch->pool, struct standby_imap_append_cmd, 1);
	acmd->batch = batch;
	acmd->append = append;
	batch->in_flight++;

	if (t_imap_utf8_to_utf7(append->mailbox, &name_utf7) < 0 ||
	    *name_utf7 == '\0') {
		standby_imap_append_finish(acmd, STANDBY_IMAP_PERMANENT,
			t_strdup_printf("Invalid folder name: %s",
					str_sanitize(append->mailbox, 128)));
		return;
	}
	acmd->start_offset = append->input->v_offset;
	if (i_stream_get_size(append->input, TRUE, &size) <= 0 ||
	    size < acmd->start_offset) {
		standby_imap_append_finish(acmd, STANDBY_IMAP_PERMANENT,
			t_strdup_printf("Can't get size of %s: %s",
				i_stream_get_name(append->input),
				append->input->stream_errno != 0 ?
				i_stream_get_error(append->input) :
				"size unknown"));
		return;
	}
	acmd->size = size - acmd->start_offset;
	acmd->mailbox_utf7 = p_strdup(batch->pool, name_utf7);
	acmd->args = p_strdup(batch->pool,
			      standby_imap_append_args(batch->imap, append));
	standby_imap_append_send(acmd);
}

static void
standby_imap_append_submit_more(struct standby_imap_append_batch *batch)
{
	while (batch->in_flight < STANDBY_IMAP_MAX_APPENDS_IN_FLIGHT &&
	       batch->next < batch->count &&
	       batch->imap->disconnect_error == NULL) T_BEGIN {
		standby_imap_append_start(batch,
					  &batch->appends[batch->next++]);
	} T_END;
}

int standby_imap_append_many(struct standby_imap *imap,
			     struct standby_imap_append *appends,
			     unsigned int count)
{
	struct standby_imap_append_batch batch;
	uoff_t *offsets;
	unsigned int i;

	i_assert(imap->pending == 0);
	i_free(imap->captured_error);

	offsets = t_new(uoff_t, count + 1);
	for (i = 0; i < count; i++) {
		offsets[i] = appends[i].input->v_offset;
		appends[i].uidvalidity = 0;
		appends[i].uid = 0;
		appends[i].error = NULL;
		appends[i].result = STANDBY_IMAP_DISCONNECTED;
	}

	i_zero(&batch);
	batch.imap = imap;
	batch.pool = pool_alloconly_create("standby imap append", 1024);
	batch.appends = appends;
	batch.count = count;

	standby_imap_append_submit_more(&batch);
	standby_imap_run(imap);
	i_assert(batch.in_flight == 0);

	for (i = 0; i < count; i++) {
		/* errors move to the caller's data stack frame */
		if (appends[i].error != NULL)
			appends[i].error = t_strdup(appends[i].error);
		else if (appends[i].result == STANDBY_IMAP_DISCONNECTED) {
			appends[i].error = t_strdup(
				imap->disconnect_error != NULL ?
				imap->disconnect_error : "Not sent");
		}
		i_stream_seek(appends[i].input, offsets[i]);
	}
	pool_unref(&batch.pool);
	return imap->disconnect_error != NULL ? -1 : 0;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
#include "strnum.h"
#include "ioloop.h"
#include "istream.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "mail-storage-settings.h"
#include "mail-storage-service.h"
#include "module-dir.h"
#include "raw-storage.h"

#include "sieve-common.h"
#include "sieve-code.h"
#include "sieve-stringlist.h"
#include "sieve-message.h"
#include "sieve-extensions.h"
#include "sieve-commands.h"
#include "sieve-actions.h"
#include "sieve-validator.h"
#include "sieve-generator.h"
#include "sieve-interpreter.h"
#include "sieve-runtime-trace.h"
#include "sieve-dump.h"
#include "sieve-result.h"

#include "standby-settings.h"
#include "standby-queue.h"
#include "standby-poke.h"
#include "standby-status.h"
#include "standby-missed.h"
#include "standby-hash.h"
#include "standby-sent-capture.h"

#include "ext-mirror-common.h"

/* Mirror command
 *
 * Syntax:
 *   mirror [":mailbox" <folder: string>] [":flags" <flags: string-list>]
 *
 * Queues a copy of the message for the user's standby account. The copy
 * is only queued when the Sieve result is committed; the action never
 * fails, never cancels the implicit keep and combines with every other
 * action.
 */

static bool
cmd_mirror_registered(struct sieve_validator *valdtr,
		      const struct sieve_extension *ext,
		      struct sieve_command_registration *cmd_reg);
static bool
cmd_mirror_generate(const struct sieve_codegen_env *cgenv,
		    struct sieve_command *cmd);

const struct sieve_command_def cmd_mirror = {
	.identifier = "mirror",
	.type = SCT_COMMAND,
	.positional_args = 0,
	.subtests = 0,
	.block_allowed = FALSE,
	.block_required = FALSE,
	.registered = cmd_mirror_registered,
	.generate = cmd_mirror_generate,
};

/*
 * Tagged arguments
 */

static bool
cmd_mirror_validate_mailbox_tag(struct sieve_validator *valdtr,
				struct sieve_ast_argument **arg,
				struct sieve_command *cmd);
static bool
cmd_mirror_validate_flags_tag(struct sieve_validator *valdtr,
			      struct sieve_ast_argument **arg,
			      struct sieve_command *cmd);

static const struct sieve_argument_def mirror_mailbox_tag = {
	.identifier = "mailbox",
	.validate = cmd_mirror_validate_mailbox_tag,
};

static const struct sieve_argument_def mirror_flags_tag = {
	.identifier = "flags",
	.validate = cmd_mirror_validate_flags_tag,
};

/* Codes for optional operands */
enum cmd_mirror_optional {
	CMD_MIRROR_OPT_END,
	CMD_MIRROR_OPT_MAILBOX,
	CMD_MIRROR_OPT_FLAGS,
};

/*
 * Operation
 */

static bool
cmd_mirror_operation_dump(const struct sieve_dumptime_env *denv,
			  sieve_size_t *address);
static int
cmd_mirror_operation_execute(const struct sieve_runtime_env *renv,
			     sieve_size_t *address);

const struct sieve_operation_def ext_mirror_operation = {
	.mnemonic = "MIRROR",
	.ext_def = &ext_vnd_standby_mirror,
	.code = 0,
	.dump = cmd_mirror_operation_dump,
	.execute = cmd_mirror_operation_execute,
};

/*
 * Action
 */

static int
act_mirror_check_duplicate(const struct sieve_runtime_env *renv,
			   const struct sieve_action *act,
			   const struct sieve_action *act_other);
static void
act_mirror_print(const struct sieve_action *action,
		 const struct sieve_result_print_env *rpenv, bool *keep);
static int
act_mirror_commit(const struct sieve_action_exec_env *aenv,
		  void *tr_context);

static const struct sieve_action_def act_mirror = {
	.name = "mirror",
	.check_duplicate = act_mirror_check_duplicate,
	.print = act_mirror_print,
	.commit = act_mirror_commit,
};

struct act_mirror_context {
	/* "" = the default folder of the direction */
	const char *mailbox;
	/* NULL-terminated, never NULL */
	const char *const *flags;
	/* the message's INTERNALDATE, read when the script ran */
	time_t received_date;
};

/* The message's received date, made to stay the same. LMTP and LDA
   deliver from a "raw" mailbox opened without a date: its received date
   is -1, so the stored copy gets the time of its save, which under load
   can be a second later than when the script ran. Pin a date into the raw
   mailbox before any action saves the message, so the stored and the
   mirrored copy carry the same INTERNALDATE. The date pinned is the one
   the raw mailbox itself would read (its input stream's mtime), because
   Dovecot re-reads that into a pinned date whenever it stats the stream. */
static time_t cmd_mirror_received_date(struct mail *mail)
{
	struct raw_mailbox *raw_box;
	const struct stat *st;
	time_t date;

	if (mail_get_received_date(mail, &date) == 0 && date != (time_t)-1)
		return date;
	if (strcmp(mail->box->storage->name, RAW_STORAGE_NAME) != 0)
		return ioloop_time;

	if (mail->box->input != NULL &&
	    i_stream_stat(mail->box->input, TRUE, &st) == 0)
		date = st->st_mtime;
	else
		date = ioloop_time;
	raw_box = container_of(mail->box, struct raw_mailbox, box);
	raw_box->mtime = date;
	return date;
}

static const char *act_mirror_folder_descr(const char *mailbox)
{
	if (mailbox[0] == '\0')
		return "the standby's default folder";
	return t_strdup_printf("standby folder `%s'",
			       str_sanitize(mailbox, 128));
}

/*
 * Validation
 */

static bool
cmd_mirror_registered(struct sieve_validator *valdtr,
		      const struct sieve_extension *ext,
		      struct sieve_command_registration *cmd_reg)
{
	sieve_validator_register_tag(valdtr, cmd_reg, ext, &mirror_mailbox_tag,
				     CMD_MIRROR_OPT_MAILBOX);
	sieve_validator_register_tag(valdtr, cmd_reg, ext, &mirror_flags_tag,
				     CMD_MIRROR_OPT_FLAGS);
	return TRUE;
}

static bool
cmd_mirror_validate_mailbox_tag(struct sieve_validator *valdtr,
				struct sieve_ast_argument **arg,
				struct sieve_command *cmd)
{
	struct sieve_ast_argument *tag = *arg;
	const char *mailbox, *error;
	bool valid = TRUE;

	/* Detach the tag; its parameter stays as the optional operand */
	*arg = sieve_ast_arguments_detach(*arg, 1);
	if (!sieve_validate_tag_parameter(valdtr, cmd, tag, *arg, NULL, 0,
					  SAAT_STRING, FALSE))
		return FALSE;

	/* Strings built from variables are checked at runtime */
	if (sieve_argument_is_string_literal(*arg)) {
		T_BEGIN {
			mailbox = sieve_ast_argument_strc(*arg);
			valid = ext_mirror_mailbox_is_valid(mailbox, &error);
			if (!valid) {
				sieve_argument_validate_error(valdtr, *arg,
					"mirror command: "
					"invalid :mailbox \"%s\": %s",
					str_sanitize(mailbox, 64), error);
			}
		} T_END;
		if (!valid)
			return FALSE;
	}

	*arg = sieve_ast_argument_next(*arg);
	return TRUE;
}

static bool
cmd_mirror_validate_flag_literal(struct sieve_validator *valdtr,
				 struct sieve_ast_argument *item)
{
	const char *flag, *error;
	bool valid = TRUE;

	if (item->argument == NULL || !sieve_argument_is_string_literal(item))
		return TRUE;

	T_BEGIN {
		flag = sieve_ast_argument_strc(item);
		if (!ext_mirror_flag_is_valid(flag, &error)) {
			sieve_argument_validate_error(valdtr, item,
				"mirror command: "
				"invalid :flags item \"%s\": %s",
				str_sanitize(flag, 64), error);
			valid = FALSE;
		}
	} T_END;
	return valid;
}

static bool
cmd_mirror_validate_flags_tag(struct sieve_validator *valdtr,
			      struct sieve_ast_argument **arg,
			      struct sieve_command *cmd)
{
	struct sieve_ast_argument *tag = *arg, *item;
	bool valid = TRUE;

	*arg = sieve_ast_arguments_detach(*arg, 1);
	if (!sieve_validate_tag_parameter(valdtr, cmd, tag, *arg, NULL, 0,
					  SAAT_STRING_LIST, FALSE))
		return FALSE;

	if (sieve_ast_argument_type(*arg) == SAAT_STRING) {
		valid = cmd_mirror_validate_flag_literal(valdtr, *arg);
	} else {
		for (item = sieve_ast_strlist_first(*arg); item != NULL;
		     item = sieve_ast_strlist_next(item)) {
			if (!cmd_mirror_validate_flag_literal(valdtr, item))
				valid = FALSE;
		}
	}
	if (!valid)
		return FALSE;

	*arg = sieve_ast_argument_next(*arg);
	return TRUE;
}

/*
 * Code generation
 */

static bool
cmd_mirror_generate(const struct sieve_codegen_env *cgenv,
		    struct sieve_command *cmd)
{
	sieve_operation_emit(cgenv->sblock, cmd->ext, &ext_mirror_operation);
	return sieve_generate_arguments(cgenv, cmd, NULL);
}

/*
 * Code dump
 */

static bool
cmd_mirror_operation_dump(const struct sieve_dumptime_env *denv,
			  sieve_size_t *address)
{
	int opt_code = 0;

	sieve_code_dumpf(denv, "MIRROR");
	sieve_code_descend(denv);

	for (;;) {
		bool ok;
		int opt;

		opt = sieve_action_opr_optional_dump(denv, address, &opt_code);
		if (opt < 0)
			return FALSE;
		if (opt == 0)
			break;

		switch (opt_code) {
		case CMD_MIRROR_OPT_MAILBOX:
			ok = sieve_opr_string_dump(denv, address, "mailbox");
			break;
		case CMD_MIRROR_OPT_FLAGS:
			ok = sieve_opr_stringlist_dump(denv, address, "flags");
			break;
		default:
			return FALSE;
		}
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/*
 * Code execution
 */

static const char *
cmd_mirror_runtime_mailbox(const struct sieve_runtime_env *renv,
			   enum standby_direction direction,
			   const char *mailbox)
{
	const char *error;

	if (mailbox == NULL)
		return "";
	if (!ext_mirror_mailbox_is_valid(mailbox, &error)) {
		sieve_runtime_warning(renv, NULL,
			"mirror action: invalid :mailbox \"%s\": %s "
			"(using the default folder)",
			str_sanitize(mailbox, 64), error);
		return "";
	}
	/* Incoming mail goes to INBOX by default: "INBOX" in any case is
	   the same folder, so that duplicates are recognised. */
	if (direction == STANDBY_DIRECTION_INCOMING &&
	    strcasecmp(mailbox, "INBOX") == 0)
		return "";
	return mailbox;
}

static void
cmd_mirror_flags_add(ARRAY_TYPE(const_string) *flags, const char *flag)
{
	const char *old;

	array_foreach_elem(flags, old) {
		if (strcasecmp(old, flag) == 0)
			return;
	}
	array_push_back(flags, &flag);
}

static const char *const *
cmd_mirror_runtime_flags(const struct sieve_runtime_env *renv, pool_t pool,
			 const char *const *flags)
{
	ARRAY_TYPE(const_string) valid;
	const char *error;

	p_array_init(&valid, pool, 4);
	for (; flags != NULL && *flags != NULL; flags++) {
		if (!ext_mirror_flag_is_valid(*flags, &error)) {
			sieve_runtime_warning(renv, NULL,
				"mirror action: ignoring invalid :flags "
				"item \"%s\": %s",
				str_sanitize(*flags, 64), error);
			continue;
		}
		cmd_mirror_flags_add(&valid, *flags);
	}
	array_append_zero(&valid);
	return array_front(&valid);
}

static int
cmd_mirror_operation_execute(const struct sieve_runtime_env *renv,
			     sieve_size_t *address)
{
	const struct sieve_extension *this_ext = renv->oprtn->ext;
	struct sieve_side_effects_list *slist = NULL;
	struct sieve_stringlist *flag_list = NULL;
	struct act_mirror_context *act;
	const char *const *flags = NULL;
	string_t *mailbox = NULL;
	pool_t pool;
	int opt_code = 0;
	int ret;

	/* Optional operands */
	for (;;) {
		int opt;

		opt = sieve_action_opr_optional_read(renv, address, &opt_code,
						     &ret, &slist);
		if (opt < 0)
			return ret;
		if (opt == 0)
			break;

		switch (opt_code) {
		case CMD_MIRROR_OPT_MAILBOX:
			ret = sieve_opr_string_read(renv, address, "mailbox",
						    &mailbox);
			break;
		case CMD_MIRROR_OPT_FLAGS:
			ret = sieve_opr_stringlist_read(renv, address, "flags",
							&flag_list);
			break;
		default:
			sieve_runtime_trace_error(
				renv, "unknown optional operand");
			return SIEVE_EXEC_BIN_CORRUPT;
		}
		if (ret <= 0)
			return ret;
	}

	pool = sieve_result_pool(renv->result);
	if (flag_list != NULL &&
	    sieve_stringlist_read_all(flag_list, pool, &flags) < 0) {
		sieve_runtime_trace_error(renv, "failed to read flags operand");
		return flag_list->exec_status;
	}

	act = p_new(pool, struct act_mirror_context, 1);
	act->mailbox = p_strdup(pool, cmd_mirror_runtime_mailbox(
		renv, ext_mirror_get_direction(renv->exec_env),
		mailbox == NULL ? NULL : str_c(mailbox)));
	act->flags = cmd_mirror_runtime_flags(renv, pool, flags);
	act->received_date = cmd_mirror_received_date(
		sieve_message_get_mail(renv->msgctx));

	if (sieve_runtime_trace_active(renv, SIEVE_TRLVL_ACTIONS)) {
		sieve_runtime_trace(renv, 0, "mirror action");
		sieve_runtime_trace_descend(renv);
		sieve_runtime_trace(renv, 0,
			"mirror message to standby folder `%s'",
			str_sanitize(act->mailbox, 80));
	}

	/* preserve_mail: commit reads the message as it is now */
	if (sieve_result_add_action(renv, this_ext, "mirror", &act_mirror,
				    slist, act, 0, TRUE) < 0)
		return SIEVE_EXEC_FAILURE;
	return SIEVE_EXEC_OK;
}

/*
 * Action
 */

/* Runtime verification */

static int
act_mirror_check_duplicate(const struct sieve_runtime_env *renv,
			   const struct sieve_action *act,
			   const struct sieve_action *act_other)
{
	const struct act_mirror_context *new_ctx = act->context;
	struct act_mirror_context *old_ctx = act_other->context;
	ARRAY_TYPE(const_string) flags;
	const char *const *flag;
	pool_t pool;

	if (new_ctx == NULL || old_ctx == NULL)
		return 0;
	if (strcmp(new_ctx->mailbox, old_ctx->mailbox) != 0)
		return 0;

	/* The same folder: one copy, carrying the union of the flags of
	   all mirror actions for it. */
	pool = sieve_result_pool(renv->result);
	p_array_init(&flags, pool, 4);
	for (flag = old_ctx->flags; *flag != NULL; flag++)
		cmd_mirror_flags_add(&flags, *flag);
	for (flag = new_ctx->flags; *flag != NULL; flag++)
		cmd_mirror_flags_add(&flags, *flag);
	array_append_zero(&flags);
	old_ctx->flags = array_front(&flags);
	return 1;
}

/* Result printing */

static void
act_mirror_print(const struct sieve_action *action,
		 const struct sieve_result_print_env *rpenv,
		 bool *keep ATTR_UNUSED)
{
	const struct act_mirror_context *ctx = action->context;

	/* *keep stays as it is: mirroring never cancels the implicit keep */
	sieve_result_action_printf(rpenv, "mirror message to %s",
				   act_mirror_folder_descr(ctx->mailbox));
	if (ctx->flags[0] != NULL) {
		sieve_result_seffect_printf(rpenv, "with flags: %s",
			t_strarray_join(ctx->flags, " "));
	}
}

/* Result execution */

static struct event *
act_mirror_create_event(const struct sieve_action_exec_env *aenv)
{
	struct event *event;

	event = event_create(aenv->event);
	event_add_category(event, &event_category_standby);
	event_set_append_log_prefix(event, "standby: ");
	return event;
}

/* The entry could not be written (the file system is full, say): note
   the message in the missed list, whose space is reserved, so that the
   worker finds it in the mailbox and queues it again once the queue can
   be written, under the id that the failed standby_queue_add() gave
   entry. Returns TRUE when noted. */
static bool
act_mirror_note_missed(struct event *event,
		       const struct standby_settings *set,
		       struct standby_entry *entry, struct istream *input)
{
	struct standby_hash hash;
	const char *error;
	uoff_t size;

	i_stream_seek(input, 0);
	if (standby_hash_stream(input, &hash, &error) < 0) {
		e_error(event, "Failed to note the message in the missed "
			"list: %s", error);
		return FALSE;
	}
	if (i_stream_get_size(input, TRUE, &size) <= 0) {
		e_error(event, "Failed to note the message in the missed "
			"list: its size is unknown: %s",
			i_stream_get_error(input));
		return FALSE;
	}
	entry->size = size;
	if (standby_missed_add(set->state_dir, entry,
			       standby_hash_lf_hex(&hash), &error) < 0) {
		e_error(event, "Failed to note the message in the missed "
			"list: %s", error);
		return FALSE;
	}
	return TRUE;
}

static void
act_mirror_queue_failed(struct event *event,
			const struct standby_settings *set,
			const struct act_mirror_context *ctx,
			enum standby_direction direction, const char *error,
			bool missed)
{
	const char *status_error, *last_error, *outcome;

	outcome = missed ? "noted to be queued again later" :
		"not mirrored";
	e_error(event_create_passthrough(event)->
		set_name("standby_mirror_queued")->
		add_str("mailbox", ctx->mailbox)->
		add_str("direction", standby_direction_to_str(direction))->
		add_str("error", error)->event(),
		"Failed to queue message for the standby (%s): %s",
		outcome, error);

	/* Best effort: make the failure visible in doveadm standby status */
	last_error = t_strdup_printf("Failed to queue a message (%s): %s",
				     outcome, error);
	if (standby_status_increment(set->state_dir, "queue_write_failures",
				     last_error, &status_error) < 0) {
		e_error(event, "Failed to update status in %s: %s",
			set->state_dir, status_error);
	}
}

/* Sent mail (imapsieve) runs for every mailbox: imapsieve matches
   mailboxes by name, while the Sent folder's name differs between clients
   and languages ("Sent", "Sent Items", "Gesendet"). In Dovecot 2.3 the
   special-use flag is configuration (namespace mailbox special_use), so
   this is a lookup in the mailbox settings, no I/O. APPEND, COPY or MOVE
   into any other mailbox never mirrors. */
static bool act_mirror_is_sent_mailbox(struct mail *mail)
{
	return mailbox_has_special_use(mail->box, "\\Sent");
}

/* The copy of a sent message carries the flags it has on the primary
   (the client usually APPENDs it with \Seen) in addition to :flags.
   Only for outgoing mail: on delivery the message has no flags of its
   own yet, and for the 2nd+ LMTP recipient the mail at hand is the first
   recipient's stored copy, whose flags are not this user's. */
static const char *const *
act_mirror_flags_with_own(struct mail *mail, const char *const *flags)
{
	static const struct {
		enum mail_flags flag;
		const char *name;
	} own_flags[] = {
		{ MAIL_SEEN, "\\Seen" },
		{ MAIL_ANSWERED, "\\Answered" },
		{ MAIL_FLAGGED, "\\Flagged" },
		{ MAIL_DRAFT, "\\Draft" },
	};
	ARRAY_TYPE(const_string) all;
	enum mail_flags mflags;
	unsigned int i;

	/* \Deleted is left out: imapsieve itself sets it when a script
	   discards, and a copy must not arrive as deleted. */
	mflags = mail_get_flags(mail);
	t_array_init(&all, 8);
	for (; *flags != NULL; flags++)
		cmd_mirror_flags_add(&all, *flags);
	for (i = 0; i < N_ELEMENTS(own_flags); i++) {
		if ((mflags & own_flags[i].flag) != 0)
			cmd_mirror_flags_add(&all, own_flags[i].name);
	}
	array_append_zero(&all);
	return array_front(&all);
}

/* The copy that the mail plugin took while the client saved the message
   into \Sent (standby-sent-capture.h), or NULL: then the message is read
   from the mailbox. */
static struct istream *
act_mirror_get_capture(struct event *event, struct mail *mail)
{
	standby_sent_capture_get_func_t *capture_get;
	struct module *module;
	struct istream *input;

	module = module_dir_find(mail_storage_service_modules,
				 STANDBY_SENT_CAPTURE_MODULE);
	if (module == NULL)
		return NULL;
	capture_get = module_get_symbol_quiet(module,
					      STANDBY_SENT_CAPTURE_FUNC);
	if (capture_get == NULL)
		return NULL;
	input = capture_get(mail);
	if (input != NULL)
		e_debug(event, "Queueing the copy taken while saving");
	return input;
}

static void
act_mirror_queue(const struct sieve_action_exec_env *aenv,
		 struct event *event)
{
	const struct sieve_execute_env *eenv = aenv->exec_env;
	const struct sieve_action *action = aenv->action;
	const struct act_mirror_context *ctx = action->context;
	enum standby_direction direction = ext_mirror_get_direction(eenv);
	struct mail_user *user = eenv->scriptenv->user;
	const struct standby_settings *set;
	struct standby_queue *queue;
	struct standby_entry entry;
	struct istream *input;
	struct mail *mail;
	const char *error;
	int ret;

	if (user == NULL) {
		/* e.g. sieve-test without a mail user */
		e_debug(event, "No mail user: nothing is queued");
		return;
	}
	ret = standby_settings_get_user(user, pool_datastack_create(),
					&set, &error);
	if (ret < 0) {
		e_error(event, "Invalid standby settings: %s", error);
		return;
	}
	if (ret == 0) {
		e_debug(event, "No standby configured for this user: "
			"mirror action ignored");
		return;
	}

	mail = (action->mail != NULL ?
		action->mail : sieve_message_get_mail(aenv->msgctx));

	if (direction == STANDBY_DIRECTION_OUTGOING &&
	    !act_mirror_is_sent_mailbox(mail)) {
		e_debug(event, "Mail saved to mailbox %s, which is not the "
			"\\Sent mailbox: mirror action ignored",
			str_sanitize(mailbox_get_vname(mail->box), 128));
		return;
	}

	i_zero(&entry);
	entry.mailbox = ctx->mailbox;
	entry.flags = (direction == STANDBY_DIRECTION_OUTGOING ?
		       act_mirror_flags_with_own(mail, ctx->flags) :
		       ctx->flags);
	entry.direction = direction;
	entry.user = user->username;
	entry.queued_time = ioloop_time;
	entry.internal_date = ctx->received_date;
	entry.tz_offset_mins = 0;

	if (direction == STANDBY_DIRECTION_OUTGOING)
		input = act_mirror_get_capture(event, mail);
	else
		input = NULL;
	if (input == NULL) {
		if (mail_get_stream(mail, NULL, NULL, &input) < 0) {
			act_mirror_queue_failed(event, set, ctx, direction,
				t_strdup_printf("Failed to read message: %s",
					mailbox_get_last_internal_error(
						mail->box, NULL)), FALSE);
			return;
		}
		i_stream_ref(input);
		i_stream_seek(input, 0);
	}

	queue = standby_queue_init(set->state_dir, event);
	ret = standby_queue_add(queue, &entry, input, &error);
	standby_queue_deinit(&queue);
	if (ret < 0) {
		bool missed = act_mirror_note_missed(event, set, &entry,
						     input);

		i_stream_unref(&input);
		act_mirror_queue_failed(event, set, ctx, direction, error,
					missed);
		if (missed &&
		    standby_poke(user->set->base_dir, user->username,
				 &error) < 0) {
			e_debug(event, "Failed to poke the standby worker: %s",
				error);
		}
		return;
	}
	i_stream_unref(&input);

	e_info(event_create_passthrough(event)->
	       set_name("standby_mirror_queued")->
	       add_str("mailbox", ctx->mailbox)->
	       add_int("bytes", entry.size)->
	       add_str("direction", standby_direction_to_str(direction))->
	       add_str("entry_id", entry.id)->event(),
	       "Queued message for %s (id %s, %"PRIuUOFF_T" bytes)",
	       act_mirror_folder_descr(ctx->mailbox), entry.id, entry.size);

	/* The worker also scans the queues periodically: a poke that does
	   not arrive only delays the copy. */
	if (standby_poke(user->set->base_dir, user->username, &error) < 0)
		e_debug(event, "Failed to poke the standby worker: %s", error);
}

static int
act_mirror_commit(const struct sieve_action_exec_env *aenv,
		  void *tr_context ATTR_UNUSED)
{
	struct event *event = act_mirror_create_event(aenv);

	T_BEGIN {
		act_mirror_queue(aenv, event);
	} T_END;
	event_unref(&event);

	/* Whatever happened: mirroring must never fail the delivery, make
	   Pigeonhole roll back other actions or store a second copy. */
	return SIEVE_EXEC_OK;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The connection to the standby: connect and log in, the run loop that
   waits for replies, one request at a time, and the standby's Sent
   folder. */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "str.h"
#include "str-sanitize.h"
#include "imap-arg.h"
#include "imap-util.h"
#include "imapc-client.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-private.h"
#include "standby-imap-parse.h"


size_t standby_imap_max_line_length = STANDBY_IMAP_DEFAULT_MAX_LINE_LENGTH;

/* The reason the connection is gone, for error strings */
static const char *
standby_imap_disconnect_reason(struct standby_imap *imap,
			       const char *reply_text)
{
	const char *error;

	error = imap->captured_error != NULL ?
		imap->captured_error : reply_text;
	if (error == NULL || *error == '\0')
		error = "Disconnected from server";
	error = standby_imap_sanitize(imap, error);
	if (imap->set->ssl != STANDBY_SSL_NONE && !imap->logged_in &&
	    (strstr(error, "SSL") != NULL || strstr(error, "TLS") != NULL ||
	     strstr(error, "certificate") != NULL)) {
		const char *unexpected = "Server disconnected unexpectedly: ";

		if (standby_imap_str_begins(error, unexpected))
			error += strlen(unexpected);
		error = t_strconcat("TLS handshake failed: ", error, NULL);
	}
	return error;
}

static void
standby_imap_set_disconnected(struct standby_imap *imap,
			      const char *reply_text)
{
	if (imap->disconnect_error != NULL)
		return;
	imap->disconnect_error =
		i_strdup(standby_imap_disconnect_reason(imap, reply_text));
	e_debug(imap->event, "Connection lost: %s", imap->disconnect_error);
}

static void standby_imap_untagged(const struct imapc_untagged_reply *reply,
				  void *context)
{
	struct standby_imap *imap = context;

	if (reply->resp_text_key != NULL &&
	    strcasecmp(reply->resp_text_key, "ALERT") == 0) {
		/* RFC 3501: must be shown to the user; here the admin */
		e_warning(imap->event, "The standby says: %s",
			  str_sanitize(imap_args_to_str(reply->args), 256));
	}
	if (imap->untagged_callback != NULL)
		imap->untagged_callback(reply, imap->untagged_context);
}

struct imapc_command *
standby_imap_cmd(struct standby_imap *imap,
		 imapc_command_callback_t *callback, void *context)
{
	i_assert(imap->disconnect_error == NULL);

	imap->pending++;
	return imapc_client_cmd(imap->client, callback, context);
}

/* Call first in every command callback */
void standby_imap_cmd_reply(struct standby_imap *imap,
				   const struct imapc_command_reply *reply)
{
	switch (reply->state) {
	case IMAPC_COMMAND_STATE_OK:
	case IMAPC_COMMAND_STATE_NO:
		break;
	case IMAPC_COMMAND_STATE_BAD:
		/* imapc disconnects after BAD */
		standby_imap_set_disconnected(imap, t_strconcat(
			"Server replied BAD: ", reply->text_full, NULL));
		break;
	case IMAPC_COMMAND_STATE_AUTH_FAILED:
	case IMAPC_COMMAND_STATE_DISCONNECTED:
		standby_imap_set_disconnected(imap, reply->text_full);
		break;
	}
}

/* Call last in every command callback */
void standby_imap_cmd_done(struct standby_imap *imap)
{
	i_assert(imap->pending > 0);

	if (--imap->pending == 0)
		imapc_client_stop(imap->client);
}

/* Run imapc's private ioloop until every command sent has its reply. */
void standby_imap_run(struct standby_imap *imap)
{
	standby_imap_capture_begin(imap);
	while (imap->pending > 0)
		imapc_client_run(imap->client);
	standby_imap_capture_end(imap);
}

bool
standby_imap_resp_key_is(const struct imapc_command_reply *reply,
			 const char *key)
{
	return reply->resp_text_key != NULL &&
		strcasecmp(reply->resp_text_key, key) == 0;
}

/* requests: one command at a time, its tagged reply kept */

static void
standby_imap_request_callback(const struct imapc_command_reply *reply,
			      void *context)
{
	struct standby_imap_request *req = context;
	struct standby_imap *imap = req->imap;

	standby_imap_cmd_reply(imap, reply);
	req->state = reply->state;
	i_free(req->resp_key);
	req->resp_key = i_strdup(reply->resp_text_key);
	if (reply->state == IMAPC_COMMAND_STATE_NO) {
		req->error = i_strdup(standby_imap_sanitize(imap,
							    reply->text_full));
	} else if (reply->state != IMAPC_COMMAND_STATE_OK) {
		req->error = i_strdup(imap->disconnect_error != NULL ?
				      imap->disconnect_error :
				      reply->text_full);
	}
	standby_imap_cmd_done(imap);
}

int standby_imap_request_run(struct standby_imap_request *req,
			     imapc_untagged_callback_t *untagged,
			     const char *cmd_str, const char **error_r)
{
	struct standby_imap *imap = req->imap;
	struct imapc_command *cmd;
	int ret;

	i_assert(imap->pending == 0);
	i_free(imap->captured_error);
	i_free(req->error);
	req->state = IMAPC_COMMAND_STATE_DISCONNECTED;
	if (imap->disconnect_error != NULL) {
		*error_r = t_strdup(imap->disconnect_error);
		return -1;
	}
	imap->untagged_callback = untagged;
	imap->untagged_context = req;
	cmd = standby_imap_cmd(imap, standby_imap_request_callback, req);
	imapc_command_send(cmd, cmd_str);
	standby_imap_run(imap);
	imap->untagged_callback = NULL;
	imap->untagged_context = NULL;

	ret = req->state == IMAPC_COMMAND_STATE_OK ? 0 : -1;
	if (ret < 0) {
		*error_r = t_strdup(req->error != NULL ? req->error :
				    "Disconnected from server");
	}
	return ret;
}

void standby_imap_request_free(struct standby_imap_request *req)
{
	i_free(req->resp_key);
	i_free(req->error);
}

static void
standby_imap_parse_capabilities(struct standby_imap *imap,
				const char *const *caps)
{
	imap->have_capabilities = TRUE;
	imap->special_use = FALSE;
	for (; *caps != NULL; caps++) {
		if (strcasecmp(*caps, "SPECIAL-USE") == 0)
			imap->special_use = TRUE;
	}
}

/* connect */

static void standby_imap_login_callback(const struct imapc_command_reply *reply,
					void *context)
{
	struct standby_imap *imap = context;

	imap->login_state = reply->state;
	if (reply->state == IMAPC_COMMAND_STATE_OK) {
		imap->logged_in = TRUE;
		if (standby_imap_resp_key_is(reply, "CAPABILITY") &&
		    reply->resp_text_value != NULL) {
			standby_imap_parse_capabilities(imap,
				t_strsplit_spaces(reply->resp_text_value, " "));
		}
	} else if (reply->state == IMAPC_COMMAND_STATE_AUTH_FAILED ||
		   reply->state == IMAPC_COMMAND_STATE_NO ||
		   reply->state == IMAPC_COMMAND_STATE_BAD) {
		/* the text is "Authentication failed: <server's text>" */
		imap->login_error = p_strdup(imap->pool,
			standby_imap_sanitize(imap, reply->text_full));
		standby_imap_set_disconnected(imap, imap->login_error);
	} else {
		standby_imap_set_disconnected(imap, reply->text_full);
		imap->login_error = p_strdup(imap->pool,
					     imap->disconnect_error);
	}
	standby_imap_cmd_done(imap);
}

int standby_imap_connect(const struct standby_settings *set,
			 struct event *event_parent,
			 struct standby_imap **imap_r, const char **error_r)
{
	struct standby_imap *imap;
	enum imapc_capability capabilities;
	const char *error = NULL;
	pool_t pool;

	*imap_r = NULL;
	if (set->host == NULL || *set->host == '\0') {
		*error_r = "standby_host not set";
		return -1;
	}
	if (set->user == NULL || set->password == NULL) {
		*error_r = "standby_user or standby_password not set";
		return -1;
	}

	pool = pool_alloconly_create("standby imap", 1024);
	imap = p_new(pool, struct standby_imap, 1);
	imap->pool = pool;
	imap->set = set;
	imap->max_line_length = standby_imap_max_line_length;
	hash_table_create(&imap->known_mailboxes, pool, 0, str_hash, strcmp);
	imap->event = event_create(event_parent);
	event_add_category(imap->event, &event_category_standby);
	event_set_append_log_prefix(imap->event, t_strdup_printf(
		"standby(%s:%u): ", set->host, set->port));

	standby_imap_capture_begin(imap);
	imap->client = standby_imap_client_create(imap, &error);
	standby_imap_capture_end(imap);
	if (imap->client == NULL) {
		*error_r = t_strdup(error);
		standby_imap_disconnect(&imap);
		return -1;
	}
	if (imap->captured_error != NULL) {
		/* the SSL context could not be created (e.g. unreadable
		   ssl_ca_file); imapc would only say "No SSL context" */
		*error_r = t_strdup_printf("TLS setup failed: %s",
			standby_imap_sanitize(imap, imap->captured_error));
		standby_imap_disconnect(&imap);
		return -1;
	}
	imapc_client_register_untagged(imap->client,
				       standby_imap_untagged, imap);
	imapc_client_set_login_callback(imap->client,
					standby_imap_login_callback, imap);

	e_debug(imap->event, "Connecting (ssl=%s, verify=%s) as %s",
		standby_ssl_mode_to_str(set->ssl),
		set->ssl_verify ? "yes" : "no", set->user);
	imap->pending++;
	standby_imap_capture_begin(imap);
	imapc_client_login(imap->client);
	standby_imap_capture_end(imap);
	standby_imap_run(imap);

	if (imap->login_state != IMAPC_COMMAND_STATE_OK) {
		error = imap->login_error != NULL ? imap->login_error :
			"Login failed";
		*error_r = t_strdup(error);
		e_debug(imap->event, "Login failed: %s", error);
		standby_imap_disconnect(&imap);
		return -1;
	}
	if (imapc_client_get_capabilities(imap->client, &capabilities) < 0) {
		*error_r = "Connection lost after login";
		standby_imap_disconnect(&imap);
		return -1;
	}
	e_debug(imap->event, "Logged in (UIDPLUS=%s)",
		(capabilities & IMAPC_CAPABILITY_UIDPLUS) != 0 ? "yes" : "no");
	*imap_r = imap;
	return 0;
}

void standby_imap_disconnect(struct standby_imap **_imap)
{
	struct standby_imap *imap = *_imap;

	if (imap == NULL)
		return;
	*_imap = NULL;

	i_assert(imap->pending == 0);
	if (imap->client != NULL) {
		if (imap->logged_in && imap->disconnect_error == NULL) {
			standby_imap_capture_begin(imap);
			imapc_client_logout(imap->client);
			standby_imap_capture_end(imap);
		}
		imapc_client_deinit(&imap->client);
	}
	standby_imap_client_free(imap);
	hash_table_destroy(&imap->known_mailboxes);
	i_free(imap->captured_error);
	i_free(imap->disconnect_error);
	event_unref(&imap->event);
	pool_unref(&imap->pool);
}

/* get_sent_mailbox */

struct standby_imap_sent {
	struct standby_imap_request req;
	const char *sent_mailbox;
};

static void
standby_imap_capability_untagged(const struct imapc_untagged_reply *reply,
				 void *context)
{
	struct standby_imap_request *req = context;
	const struct imap_arg *args = reply->args;
	ARRAY_TYPE(const_string) caps;
	const char *atom;

	if (strcasecmp(reply->name, "CAPABILITY") != 0)
		return;
	t_array_init(&caps, 32);
	for (; imap_arg_get_atom(args, &atom); args++)
		array_push_back(&caps, &atom);
	array_append_zero(&caps);
	standby_imap_parse_capabilities(req->imap, array_front(&caps));
}

static void
standby_imap_sent_untagged(const struct imapc_untagged_reply *reply,
			   void *context)
{
	struct standby_imap_sent *ctx = context;
	struct standby_imap_list_reply list;

	if (ctx->sent_mailbox != NULL ||
	    strcasecmp(reply->name, "LIST") != 0 ||
	    !standby_imap_parse_list(reply->args, &list) ||
	    list.noselect || !list.sent)
		return;

	if (list.name == NULL) {
		e_debug(ctx->req.imap->event,
			"\\Sent folder has an invalid mUTF-7 name: %s",
			list.name_utf7);
		return;
	}
	ctx->sent_mailbox = p_strdup(ctx->req.imap->pool, list.name);
}

const char *standby_imap_get_sent_mailbox(struct standby_imap *imap)
{
	struct standby_imap_sent ctx;
	const char *error;
	const char *fallback = imap->set->sent_mailbox != NULL ?
		imap->set->sent_mailbox : STANDBY_DEFAULT_SENT_MAILBOX;

	if (imap->sent_mailbox != NULL)
		return imap->sent_mailbox;

	/* errors are the connection's: the caller sees them on its next
	   command; until then the fallback serves */
	i_zero(&ctx);
	ctx.req.imap = imap;
	if (!imap->have_capabilities) {
		/* the login reply had no capabilities */
		(void)standby_imap_request_run(&ctx.req,
			standby_imap_capability_untagged, "CAPABILITY",
			&error);
	}
	if (imap->special_use) {
		(void)standby_imap_request_run(&ctx.req,
			standby_imap_sent_untagged,
			"LIST \"\" \"*\" RETURN (SPECIAL-USE)", &error);
	}
	standby_imap_request_free(&ctx.req);

	if (ctx.sent_mailbox != NULL) {
		e_debug(imap->event, "\\Sent folder: %s", ctx.sent_mailbox);
		imap->sent_mailbox = ctx.sent_mailbox;
	} else {
		e_debug(imap->event, "No \\Sent folder%s, using %s",
			imap->special_use ? "" : " (no SPECIAL-USE)", fallback);
		imap->sent_mailbox = p_strdup(imap->pool, fallback);
	}
	return imap->sent_mailbox;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_IMAP_PRIVATE_H
#define STANDBY_IMAP_PRIVATE_H

/* Shared by the files of the standby IMAP client (standby-imap-*.c).
   Not for use outside lib-standby. */

#include "hash.h"
#include "imapc-client.h"

/* imapc writes large FETCH BODY[] literals to unlinked files with this
   prefix. Not the state directory: the queue owns what is in there. */
#define STANDBY_IMAP_TEMP_PATH_PREFIX "/tmp/standby-imapc."

struct standby_imap {
	pool_t pool;
	struct event *event;
	const struct standby_settings *set;
	struct imapc_client *client;
	/* what standby_imap_client_create() made besides the client */
	void *client_glue;

	/* imapc commands sent and not answered yet; imapc's ioloop runs
	   while this is non-zero */
	unsigned int pending;
	/* untagged replies are passed here while a command wants them */
	imapc_untagged_callback_t *untagged_callback;
	void *untagged_context;

	/* the first error imapc logged during the current run (i_free) */
	char *captured_error;
	/* non-NULL once the connection is gone: nothing more is sent */
	char *disconnect_error;

	/* standby_imap_max_line_length at connect */
	size_t max_line_length;

	enum imapc_command_state login_state;
	const char *login_error;

	/* mUTF-7 names of folders known to exist (created or appended to) */
	HASH_TABLE(const char *, void *) known_mailboxes;
	const char *sent_mailbox;

	bool have_capabilities:1;
	bool special_use:1;
	bool logged_in:1;
};

/* standby-imap-client-dc23.c / -dc24.c, the one place that knows how a
   Dovecot major takes imapc's settings: the imapc client for imap->set.
   Returns NULL with *error_r when a setting can't be given to imapc. */
struct imapc_client *
standby_imap_client_create(struct standby_imap *imap, const char **error_r);
/* Free imap->client_glue, after imapc_client_deinit() */
void standby_imap_client_free(struct standby_imap *imap);

/* h starts with n (str_begins() on 2.3, str_begins_with() on 2.4) */
static inline bool standby_imap_str_begins(const char *h, const char *n)
{
	return strncmp(h, n, strlen(n)) == 0;
}

/* Send a command; the caller's callback must call standby_imap_cmd_reply()
   first and standby_imap_cmd_done() last. */
struct imapc_command *
standby_imap_cmd(struct standby_imap *imap,
		 imapc_command_callback_t *callback, void *context);
void standby_imap_cmd_reply(struct standby_imap *imap,
			    const struct imapc_command_reply *reply);
void standby_imap_cmd_done(struct standby_imap *imap);
/* Run imapc's private ioloop until every command sent has its reply. */
void standby_imap_run(struct standby_imap *imap);
bool standby_imap_resp_key_is(const struct imapc_command_reply *reply,
			      const char *key);

/* One command and its tagged reply; embed it first in a context of one's
   own to get that context in the untagged callback. */
struct standby_imap_request {
	struct standby_imap *imap;
	/* the tagged reply: its state, its [RESP] key and, unless OK, its
	   error text (sanitised) */
	enum imapc_command_state state;
	char *resp_key, *error;
};
/* Send one command and wait for its tagged reply, passing untagged replies
   to untagged (with req as context). Returns 0 on OK, -1 with *error_r.
   May be called again with the same req; free it with
   standby_imap_request_free(). */
int standby_imap_request_run(struct standby_imap_request *req,
			     imapc_untagged_callback_t *untagged,
			     const char *cmd_str, const char **error_r);
void standby_imap_request_free(struct standby_imap_request *req);

/* standby-imap-log.c: while imapc runs for imap, keep the first error it
   logs in imap->captured_error and clean its lines of credentials. Only
   one run at a time in a process. */
void standby_imap_capture_begin(struct standby_imap *imap);
void standby_imap_capture_end(struct standby_imap *imap);
/* An imapc error or reply text fit for error_r (no credentials) */
const char *standby_imap_sanitize(struct standby_imap *imap,
				  const char *text);

#endif

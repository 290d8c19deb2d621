/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The imapc client for Dovecot 2.3: its settings are a struct. */

#include "lib.h"
#include "imapc-client.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-private.h"

static void
standby_imap_client_settings(struct standby_imap *imap,
			     struct imapc_client_settings *imapc_set_r)
{
	const struct standby_settings *set = imap->set;
	unsigned int timeout_msecs = set->timeout_secs * 1000;

	i_zero(imapc_set_r);
	imapc_set_r->host = set->host;
	imapc_set_r->port = set->port;
	imapc_set_r->username = set->user;
	imapc_set_r->password = set->password;
	imapc_set_r->max_idle_time = IMAPC_DEFAULT_MAX_IDLE_TIME;
	imapc_set_r->dns_client_socket_path = "";
	imapc_set_r->rawlog_dir = "";
	imapc_set_r->temp_path_prefix = STANDBY_IMAP_TEMP_PATH_PREFIX;
	imapc_set_r->max_line_length = imap->max_line_length;
	imapc_set_r->debug = event_want_debug(imap->event);
	imapc_set_r->connect_timeout_msecs = timeout_msecs;
	imapc_set_r->cmd_timeout_msecs = timeout_msecs;
	/* never reconnect on our behalf: an APPEND in flight is uncertain
	   and the caller must look for it before sending it again */
	imapc_set_r->connect_retry_count = 0;

	switch (set->ssl) {
	case STANDBY_SSL_IMAPS:
		imapc_set_r->ssl_mode = IMAPC_CLIENT_SSL_MODE_IMMEDIATE;
		break;
	case STANDBY_SSL_STARTTLS:
		imapc_set_r->ssl_mode = IMAPC_CLIENT_SSL_MODE_STARTTLS;
		break;
	case STANDBY_SSL_NONE:
		imapc_set_r->ssl_mode = IMAPC_CLIENT_SSL_MODE_NONE;
		break;
	}
	/* certificate chain and host name are checked in imapc's
	   handshake callback unless allow_invalid_cert is set; without
	   ca_file the system's default CA store is used */
	imapc_set_r->ssl_set.ca_file =
		set->ssl_ca_file != NULL && *set->ssl_ca_file != '\0' ?
		set->ssl_ca_file : NULL;
	imapc_set_r->ssl_set.verify_remote_cert = set->ssl_verify;
	imapc_set_r->ssl_set.allow_invalid_cert = !set->ssl_verify;
}
struct imapc_client *
standby_imap_client_create(struct standby_imap *imap, const char **error_r)
{
	struct imapc_client_settings imapc_set;

	/* never fails: an unusable TLS setting is logged (and captured) */
	*error_r = NULL;
	standby_imap_client_settings(imap, &imapc_set);
	return imapc_client_init(&imapc_set, imap->event);
}

void standby_imap_client_free(struct standby_imap *imap ATTR_UNUSED)
{
}

void standby_imap_deinit(void)
{
	/* 2.3's imapc keeps nothing of ours for the process */
}

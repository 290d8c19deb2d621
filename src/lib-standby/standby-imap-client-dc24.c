/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The imapc client for Dovecot 2.4: imapc looks its settings up through
   its event, so ours go in as overrides on a settings instance set on
   imap->event. The instance belongs to a settings root of our own, not to
   the process's configuration: no admin imapc_* or ssl_* setting reaches
   the standby connection, as on 2.3, where imapc took only the struct we
   gave it. */

#include "lib.h"
#include "settings.h"
#include "ssl-settings.h"
#include "iostream-ssl.h"
#include "imapc-client.h"
#include "imapc-settings.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-private.h"

/* One per process: the TLS context cache keeps settings looked up from it
   until the process ends (the root must outlive them). Freed, after the
   cache, by standby_imap_deinit(). */
static struct settings_root *standby_imap_settings_root = NULL;

/* 2.4 expands %{...} in setting values and reads a file setting's content
   after its first line: take neither from a user's value */
static int
standby_imap_client_value_check(const char *name, const char *value,
				const char **error_r)
{
	if (strpbrk(value, "%\n") != NULL) {
		*error_r = t_strdup_printf(
			"%s: '%%' and line breaks are not supported", name);
		return -1;
	}
	return 0;
}

static const char *standby_imap_client_ssl(enum standby_ssl_mode ssl)
{
	switch (ssl) {
	case STANDBY_SSL_IMAPS:
		return "imaps";
	case STANDBY_SSL_STARTTLS:
		return "starttls";
	case STANDBY_SSL_NONE:
		break;
	}
	return "no";
}

static void
standby_imap_client_overrides(struct settings_instance *instance,
			      struct standby_imap *imap, const char *ca_file)
{
	const struct standby_settings *set = imap->set;
	unsigned int timeout_secs = set->timeout_secs;
	const char *const overrides[] = {
		"imapc_host", set->host,
		"imapc_port", dec2str(set->port),
		"imapc_user", set->user,
		"imapc_ssl", standby_imap_client_ssl(set->ssl),
		"imapc_cmd_timeout", t_strdup_printf("%us", timeout_secs),
		"imapc_connection_timeout_interval",
			t_strdup_printf("%ums", timeout_secs * 1000),
		/* never reconnect on our behalf: an APPEND in flight is
		   uncertain and the caller must look for it before sending
		   it again */
		"imapc_connection_retry_count", "0",
		"imapc_max_line_length",
			t_strdup_printf("%zu", imap->max_line_length),
		/* certificate chain and host name are checked in imapc's
		   handshake callback unless require_valid_cert is off;
		   without ca_file the system's default CA store is used */
		"ssl_client_ca_file", ca_file,
		"ssl_client_require_valid_cert", set->ssl_verify ? "yes" : "no",
		NULL
	};
	unsigned int i;

	for (i = 0; overrides[i] != NULL; i += 2) {
		settings_override(instance, overrides[i], overrides[i + 1],
				  SETTINGS_OVERRIDE_TYPE_CODE);
	}
}

/* imapc reads its settings with settings_get_or_fatal(): look them up
   here first, so that a value it can't take is an error, not a fatal */
static int standby_imap_client_settings_check(struct standby_imap *imap,
					      const char **error_r)
{
	const struct imapc_settings *imapc_set;
	const struct ssl_settings *ssl_set;
	const char *error;

	if (settings_get(imap->event, &imapc_setting_parser_info, 0,
			 &imapc_set, &error) < 0) {
		*error_r = t_strdup_printf("Invalid standby settings: %s",
					   error);
		return -1;
	}
	settings_free(imapc_set);
	if (imap->set->ssl == STANDBY_SSL_NONE)
		return 0;
	/* an unreadable ssl_ca_file: said here, as on 2.3 */
	if (ssl_client_settings_get(imap->event, &ssl_set, &error) < 0) {
		*error_r = t_strdup_printf("TLS setup failed: %s", error);
		return -1;
	}
	settings_free(ssl_set);
	return 0;
}

struct imapc_client *
standby_imap_client_create(struct standby_imap *imap, const char **error_r)
{
	const struct standby_settings *set = imap->set;
	struct settings_instance *instance;
	struct imapc_parameters params;
	const char *ca_file = set->ssl_ca_file != NULL ? set->ssl_ca_file : "";

	if (standby_imap_client_value_check("standby_host", set->host,
					    error_r) < 0 ||
	    standby_imap_client_value_check("standby_user", set->user,
					    error_r) < 0 ||
	    standby_imap_client_value_check("standby_ssl_ca_file", ca_file,
					    error_r) < 0)
		return NULL;

	if (standby_imap_settings_root == NULL)
		standby_imap_settings_root = settings_root_init();
	instance = settings_instance_new(standby_imap_settings_root);
	imap->client_glue = instance;
	standby_imap_client_overrides(instance, imap, ca_file);
	event_set_ptr(imap->event, SETTINGS_EVENT_INSTANCE, instance);
	if (standby_imap_client_settings_check(imap, error_r) < 0)
		return NULL;

	i_zero(&params);
	params.temp_path_prefix = STANDBY_IMAP_TEMP_PATH_PREFIX;
	params.override_dns_client_socket_path = "";
	params.override_rawlog_dir = "";
	params.override_password = set->password;
	return imapc_client_init(&params, imap->event);
}

void standby_imap_client_free(struct standby_imap *imap)
{
	struct settings_instance *instance = imap->client_glue;

	if (instance == NULL)
		return;
	imap->client_glue = NULL;
	event_set_ptr(imap->event, SETTINGS_EVENT_INSTANCE, NULL);
	settings_instance_free(&instance);
}

void standby_imap_deinit(void)
{
	if (standby_imap_settings_root == NULL)
		return;
	/* the cached TLS contexts hold settings of our root: free them
	   first (lib_deinit() frees the cache again, finding it empty) */
	ssl_iostream_context_cache_free();
	settings_root_deinit(&standby_imap_settings_root);
}

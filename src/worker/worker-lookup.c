/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "worker-lookup.h"

#define WORKER_LOOKUP_SERVICE "standby-worker"

int worker_lookup_user(struct mail_storage_service_ctx *service,
		       const char *username, bool minimal,
		       struct mail_user **user_r, const char **error_r)
{
	struct mail_storage_service_input input;

	i_zero(&input);
	input.service = WORKER_LOOKUP_SERVICE;
	input.username = username;
	if (minimal) {
		input.flags_override_add =
			MAIL_STORAGE_SERVICE_FLAG_TEMP_PRIV_DROP |
			MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES;
	}
	return worker_lookup_next(service, &input, user_r, error_r);
}

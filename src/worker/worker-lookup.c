/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "master-service.h"
#include "worker-lookup.h"

#define WORKER_LOOKUP_SERVICE "standby-worker"

struct mail_storage_service_ctx *
worker_lookup_service_init(enum mail_storage_service_flags flags)
{
	return mail_storage_service_init(master_service, NULL, flags);
}

int worker_lookup_user(struct mail_storage_service_ctx *service,
		       const char *username, bool minimal,
		       struct mail_user **user_r, const char **error_r)
{
	struct mail_storage_service_input input;
	struct mail_storage_service_user *service_user;
	int ret;

	i_zero(&input);
	input.module = "mail";
	input.service = WORKER_LOOKUP_SERVICE;
	input.username = username;
	if (minimal) {
		input.flags_override_add =
			MAIL_STORAGE_SERVICE_FLAG_TEMP_PRIV_DROP |
			MAIL_STORAGE_SERVICE_FLAG_NO_NAMESPACES;
	}
	/* the mail user holds a reference of its own */
	ret = mail_storage_service_lookup_next(service, &input, &service_user,
					       user_r, error_r);
	if (ret > 0)
		mail_storage_service_user_unref(&service_user);
	return ret;
}

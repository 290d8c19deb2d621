/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.3: the storage service takes settings roots, a lookup names
   the settings module and hands out a service user besides the mail
   user (which holds a reference of its own to it). */

#include "lib.h"
#include "master-service.h"
#include "worker-lookup.h"

struct mail_storage_service_ctx *
worker_lookup_service_init(enum mail_storage_service_flags flags)
{
	return mail_storage_service_init(master_service, NULL, flags);
}

int worker_lookup_next(struct mail_storage_service_ctx *service,
		       struct mail_storage_service_input *input,
		       struct mail_user **user_r, const char **error_r)
{
	struct mail_storage_service_user *service_user;
	int ret;

	input->module = "mail";
	ret = mail_storage_service_lookup_next(service, input, &service_user,
					       user_r, error_r);
	if (ret > 0)
		mail_storage_service_user_unref(&service_user);
	return ret;
}

void worker_lookup_all_init(struct mail_storage_service_ctx *service)
{
	/* no mask: every user */
	mail_storage_service_all_init_mask(service, "");
}

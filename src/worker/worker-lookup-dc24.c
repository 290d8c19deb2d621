/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.4: settings come through the settings framework, which a
   service reads itself (the storage service no longer does; without it
   every setting is its default, base_dir and the auth-userdb socket
   under it included); a lookup hands out the mail user only. */

#include "lib.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "worker-lookup.h"

struct mail_storage_service_ctx *
worker_lookup_service_init(enum mail_storage_service_flags flags)
{
	const char *error;

	if (master_service_settings_read_simple(master_service, &error) < 0)
		i_fatal("%s", error);
	return mail_storage_service_init(master_service, flags);
}

int worker_lookup_next(struct mail_storage_service_ctx *service,
		       struct mail_storage_service_input *input,
		       struct mail_user **user_r, const char **error_r)
{
	return mail_storage_service_lookup_next(service, input, user_r,
						error_r);
}

void worker_lookup_all_init(struct mail_storage_service_ctx *service)
{
	/* auth matches each user against the mask: "" would match none */
	mail_storage_service_all_init_mask(service, "*");
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* Dovecot 2.4: settings come through the settings framework; a lookup
   hands out the mail user only. */

#include "lib.h"
#include "master-service.h"
#include "worker-lookup.h"

struct mail_storage_service_ctx *
worker_lookup_service_init(enum mail_storage_service_flags flags)
{
	return mail_storage_service_init(master_service, flags);
}

int worker_lookup_next(struct mail_storage_service_ctx *service,
		       struct mail_storage_service_input *input,
		       struct mail_user **user_r, const char **error_r)
{
	return mail_storage_service_lookup_next(service, input, user_r,
						error_r);
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef WORKER_LOOKUP_H
#define WORKER_LOOKUP_H

#include "mail-storage-service.h"

struct mail_user;

/* The worker's one way to look a user up and create its mail user, for
   the drain and the scan children alike. The calls that differ between
   the Dovecot majors are in worker-lookup-dc23.c and -dc24.c. */

/* The storage service of the worker's main process (on 2.4 reading the
   service's settings first). */
struct mail_storage_service_ctx *
worker_lookup_service_init(enum mail_storage_service_flags flags);

/* Look username up in the userdb and create its mail user. minimal: only
   to read its settings and state (no namespaces, privileges dropped only
   for the while, as the scan child goes on with the next user). Returns 1
   with *user_r (free it with mail_user_deinit()), 0 when the userdb does
   not know the user, < 0 on error. */
int worker_lookup_user(struct mail_storage_service_ctx *service,
		       const char *username, bool minimal,
		       struct mail_user **user_r, const char **error_r);

/* Seam (one file per major): mail_storage_service_lookup_next() for
   input, returning the same as worker_lookup_user(). */
int worker_lookup_next(struct mail_storage_service_ctx *service,
		       struct mail_storage_service_input *input,
		       struct mail_user **user_r, const char **error_r);
/* Seam: start iterating all the userdb's users for
   mail_storage_service_all_next(). 2.4's auth filters the list by the
   mask, where 2.3 took it as a hint only. */
void worker_lookup_all_init(struct mail_storage_service_ctx *service);

#endif

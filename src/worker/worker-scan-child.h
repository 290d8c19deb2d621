/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef WORKER_SCAN_CHILD_H
#define WORKER_SCAN_CHILD_H

struct mail_storage_service_ctx;

/* The userdb-scan child, after fork(): looks through every user's queue
   and pokes the users with entries (or with messages in the missed list),
   a safety net for pokes that never arrived. Exits EX_OK, or EX_TEMPFAIL
   when the userdb could not be iterated. */
void ATTR_NORETURN
worker_scan_child_run(struct mail_storage_service_ctx *storage_service,
		      struct event *event);

#endif

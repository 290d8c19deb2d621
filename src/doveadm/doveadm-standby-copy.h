/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef DOVEADM_STANDBY_COPY_H
#define DOVEADM_STANDBY_COPY_H

/* Copying standby -> primary, shared by restore and failback.

   For one standby folder: EXAMINE it (read-only), fetch UID, size, date
   and flags of the messages wanted (UID and date range), index the target
   mailbox on the primary by size, then fetch the bodies in batches of one
   UID FETCH each. A message is saved unless the primary already holds one
   with the same content: same size, confirmed by SHA-256 of the bytes
   (CRLF and LF count as the same line end). Each batch is one primary
   transaction (MAILBOX_TRANSACTION_FLAG_NO_NOTIFY: restored mail is never
   mirrored back). Nothing is ever expunged or changed on either side. */

#include "standby-hash.h"
#include "standby-imap-fetch.h"

struct mail_user;
struct standby_imap;
struct doveadm_standby_cmd_context;

struct doveadm_standby_copy_result {
	/* messages on the standby within the selection */
	unsigned int found;
	unsigned int copied;
	/* already on the primary */
	unsigned int present;
	/* skipped by the skip callback (failback: came from the mirror) */
	unsigned int skipped;
	unsigned int failed;
};

struct doveadm_standby_copy_settings {
	/* INTERNALDATE range, 0 = open */
	time_t since, before;
	bool dry_run;
	/* keyword added to every copy, or NULL */
	const char *keyword;

	/* skip a message (before its body is compared with the primary)?
	   hash is NULL when only the UID is known yet */
	bool (*skip)(const char *folder, uint32_t uidvalidity,
		     const struct standby_imap_message *msg,
		     const struct standby_hash *hash, void *context);
	/* UIDs up to this one are done already (failback progress);
	   NULL = none */
	uint32_t (*resume_uid)(const char *folder, uint32_t uidvalidity,
			       void *context);
	/* called after each committed batch with the highest UID done (all
	   UIDs up to it are copied, present or skipped) */
	int (*batch_done)(const char *folder, uint32_t uidvalidity,
			  uint32_t last_uid, void *context,
			  const char **error_r);
	void *context;
};

enum doveadm_standby_copy_ret {
	DOVEADM_STANDBY_COPY_OK = 1,
	DOVEADM_STANDBY_COPY_NOTFOUND = 0,
	DOVEADM_STANDBY_COPY_ERROR = -1,
};

/* Primary mailbox (vname) for a standby folder: the standby's \Sent
   folder goes to the primary's \Sent mailbox, INBOX to INBOX, others to
   the same name with the primary's hierarchy separator. */
const char *
doveadm_standby_copy_target(struct mail_user *user,
			    const struct standby_imap_folder *folder);

/* Copy the folder's messages (with UID > after_uid, or > resume_uid())
   into target_vname.
   *uidvalidity_r is the folder's UIDVALIDITY. NOTFOUND when the folder
   is gone from the standby; on ERROR *error_r is one line. */
enum doveadm_standby_copy_ret
doveadm_standby_copy_folder(struct doveadm_standby_cmd_context *cmd,
			    struct mail_user *user, struct standby_imap *imap,
			    const struct doveadm_standby_copy_settings *set,
			    const char *folder, const char *target_vname,
			    uint32_t after_uid,
			    struct doveadm_standby_copy_result *result_r,
			    uint32_t *uidvalidity_r, const char **error_r);

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "module-dir.h"
#include "mail-storage-service.h"

#include "standby-sent-capture.h"

#include "ext-mirror-common.h"

/* The mail plugin's sent-mail capture (src/plugin/standby-sent-capture.h),
   looked up by name at run time rather than linked against:

   - The Sieve plugin is loaded in processes where the mail plugin is
     not: LMTP and LDA without it, sievec, sieve-test, doveadm sieve,
     managesieve. Pigeonhole dlopen()s it there with RTLD_NOW, so a
     reference to a symbol of the mail plugin would fail every one of
     those loads.
   - Where both are loaded, they are separate modules, each with its own
     copy of the core linked in: only the capture function crosses
     between them, and its absence only means that the message is read
     from the mailbox.

   The mail plugin is among mail_storage_service_modules, the modules
   that the mail storage service loaded for mail_plugins. */
struct istream *ext_mirror_capture_get(struct mail *mail)
{
	standby_sent_capture_get_func_t *capture_get;
	struct module *module;

	module = module_dir_find(mail_storage_service_modules,
				 STANDBY_SENT_CAPTURE_MODULE);
	if (module == NULL)
		return NULL;
	capture_get = module_get_symbol_quiet(module,
					      STANDBY_SENT_CAPTURE_FUNC);
	if (capture_get == NULL)
		return NULL;
	return capture_get(mail);
}

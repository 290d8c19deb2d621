/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"

#include "sieve-common.h"
#include "sieve-extensions.h"
#include "standby-common.h"
#include "standby-version.h"

#include "ext-mirror-common.h"
#include "sieve-standby-glue.h"
#include "sieve-standby-plugin.h"

/* The plugin is loaded per Sieve instance (per LMTP recipient, per IMAP
   session, per sievec run) and dlclosed afterwards: everything it keeps
   lives in the context Pigeonhole hands back to _unload(). */

struct sieve_standby_plugin_context {
	const struct sieve_extension *ext_mirror;
};

const char *sieve_standby_plugin_version = PIGEONHOLE_ABI_VERSION;

/* sieve_standby_plugin_load() is in sieve-standby-glue-dc*.c: its type
   and registering the extension differ between the majors. */
void sieve_standby_loaded(struct sieve_instance *svinst,
			  const struct sieve_extension *ext_mirror,
			  void **context)
{
	struct sieve_standby_plugin_context *pctx;
	struct event *event;

	pctx = i_new(struct sieve_standby_plugin_context, 1);
	pctx->ext_mirror = ext_mirror;

	event = event_create(svinst->event);
	event_add_category(event, &event_category_standby);
	e_debug(event, "standby: version %s: Sieve extension "
		"vnd.standby.mirror registered (%s %s)", STANDBY_VERSION,
		PIGEONHOLE_NAME, PIGEONHOLE_VERSION_FULL);
	event_unref(&event);
	*context = pctx;
}

void sieve_standby_plugin_unload(struct sieve_instance *svinst ATTR_UNUSED,
				 void *context)
{
	struct sieve_standby_plugin_context *pctx = context;

	sieve_extension_unregister(pctx->ext_mirror);
	i_free(pctx);
}

void sieve_standby_plugin_init(void)
{
}

void sieve_standby_plugin_deinit(void)
{
}

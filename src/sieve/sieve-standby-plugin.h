/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef SIEVE_STANDBY_PLUGIN_H
#define SIEVE_STANDBY_PLUGIN_H

struct sieve_instance;

/* Pigeonhole's plugin interface (sieve_plugins = sieve_standby) */
extern const char *sieve_standby_plugin_version;

/* sieve_standby_plugin_load() returns void for 2.3 and int for 2.4: it
   is declared and defined in sieve-standby-glue-dc*.c. */
void sieve_standby_plugin_unload(struct sieve_instance *svinst,
				 void *context);

/* Dovecot's module interface: required by module_dir_load(), but
   Pigeonhole never calls them. */
void sieve_standby_plugin_init(void);
void sieve_standby_plugin_deinit(void);

#endif

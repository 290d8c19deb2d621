/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef SIEVE_STANDBY_PLUGIN_H
#define SIEVE_STANDBY_PLUGIN_H

struct sieve_instance;

/* Pigeonhole's plugin interface (sieve_plugins = sieve_standby) */
extern const char *sieve_standby_plugin_version;

void sieve_standby_plugin_load(struct sieve_instance *svinst, void **context);
void sieve_standby_plugin_unload(struct sieve_instance *svinst,
				 void *context);

/* Dovecot's module interface: required by module_dir_load(), but
   Pigeonhole never calls them. */
void sieve_standby_plugin_init(void);
void sieve_standby_plugin_deinit(void);

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_POKE_H
#define STANDBY_POKE_H

/* Tell the worker that a user's queue has new entries: one non-blocking
   datagram-sized line "POKE\t<username>\n" to <base_dir>/standby-worker.
   Never blocks or waits for the worker. Returns -1 with *error_r when the
   worker could not be reached (the entry stays queued and is found by the
   worker's periodic scan). */
int standby_poke(const char *base_dir, const char *username,
		 const char **error_r);

#endif

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef FUZZ_STANDBY_COMMON_H
#define FUZZ_STANDBY_COMMON_H

/* Shared by the libFuzzer targets in tests/fuzz (built by run-fuzz.sh,
   not by make). */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lib_init() and an ioloop, once. Info, warning and error lines are
   dropped (the code under test logs them for bad input, which is what the
   fuzzer feeds it); fatals and panics still abort. With FUZZ_VERBOSE set
   in the environment they are printed. */
void fuzz_standby_init(void);

/* Drop info, warning, error and debug lines (unless FUZZ_VERBOSE is
   set); for targets that initialize Dovecot themselves. */
void fuzz_standby_quiet(void);

/* A new private directory (mkdtemp under $TMPDIR or /tmp), removed at
   exit. May be called before lib_init(). */
const char *fuzz_standby_mkdtemp(const char *prefix);

/* Write data to path (replacing it); panics on failure. */
void fuzz_standby_write_file(const char *path, const void *data, size_t size);

#endif

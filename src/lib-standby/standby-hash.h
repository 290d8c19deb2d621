/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */
#ifndef STANDBY_HASH_H
#define STANDBY_HASH_H

#include "sha2.h"

struct istream;

/* Content identity of a message: SHA-256 of its bytes. IMAP servers may
   store LF and send CRLF (Dovecot does), so two digests are kept: of the
   bytes as they are, and of the bytes with every CRLF turned into LF. The
   ledger records the digest of the primary's bytes (as the worker sent
   them, LF or CRLF); a copy matches when any digest is equal. */
struct standby_hash {
	unsigned char raw[SHA256_RESULTLEN];
	unsigned char lf[SHA256_RESULTLEN];
	/* every line end as CRLF: the ledger has this when the mirror
	   queued the message as LMTP received it */
	unsigned char crlf[SHA256_RESULTLEN];
};

/* Hash input from its current offset to the end, then seek back. */
int standby_hash_stream(struct istream *input, struct standby_hash *hash_r,
			const char **error_r);
/* all=FALSE: only the LF digest (enough to compare two messages; the
   others stay zero) */
int standby_hash_stream_full(struct istream *input, bool all,
			     struct standby_hash *hash_r,
			     const char **error_r);
/* Only the digest of the bytes as they are, as hex: what the ledger
   records for a copy the worker sent. Hashes from the current offset to
   the end, then seeks back. */
int standby_hash_stream_raw_hex(struct istream *input, const char **hex_r,
				const char **error_r);
/* Does hex (64 hex digits, as in the ledger) equal either digest? */
bool standby_hash_matches_hex(const struct standby_hash *hash,
			      const char *hex);
bool standby_hash_equals(const struct standby_hash *a,
			 const struct standby_hash *b);
const char *standby_hash_lf_hex(const struct standby_hash *hash);

#endif

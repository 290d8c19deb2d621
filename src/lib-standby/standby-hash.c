/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "hex-binary.h"
#include "istream.h"
#include "standby-hash.h"

/* Feed LF-normalised data to lf_ctx, and the same with every LF as CRLF
   to crlf_ctx */
static void
standby_hash_lf_loop(struct sha256_ctx *lf_ctx, struct sha256_ctx *crlf_ctx,
		     const void *_data, size_t size)
{
	const unsigned char *data = _data, *p, *end = data + size;

	sha256_loop(lf_ctx, data, size);
	if (crlf_ctx == NULL)
		return;
	while ((p = memchr(data, '\n', end - data)) != NULL) {
		sha256_loop(crlf_ctx, data, p - data);
		sha256_loop(crlf_ctx, "\r\n", 2);
		data = p + 1;
	}
	sha256_loop(crlf_ctx, data, end - data);
}

/* After reading input to its end: seek back to start_offset; -1 with
   *error_r when the read failed */
static int standby_hash_read_finish(struct istream *input,
				    uoff_t start_offset, const char **error_r)
{
	int ret = 0;

	if (input->stream_errno != 0) {
		*error_r = t_strdup_printf("read(%s) failed: %s",
					   i_stream_get_name(input),
					   i_stream_get_error(input));
		ret = -1;
	}
	i_stream_seek(input, start_offset);
	return ret;
}

int standby_hash_stream(struct istream *input, struct standby_hash *hash_r,
			const char **error_r)
{
	return standby_hash_stream_full(input, TRUE, hash_r, error_r);
}

int standby_hash_stream_full(struct istream *input, bool all,
			     struct standby_hash *hash_r,
			     const char **error_r)
{
	struct sha256_ctx raw_ctx, lf_ctx, crlf_ctx;
	const unsigned char *data;
	uoff_t start_offset = input->v_offset;
	size_t size, i, start;
	bool pending_cr = FALSE;

	sha256_init(&raw_ctx);
	sha256_init(&lf_ctx);
	sha256_init(&crlf_ctx);
#define HASH_LF(data, size) \
	standby_hash_lf_loop(&lf_ctx, all ? &crlf_ctx : NULL, data, size)
	while (i_stream_read_more(input, &data, &size) > 0) {
		if (all)
			sha256_loop(&raw_ctx, data, size);
		/* CRLF -> LF; a CR at the end of a block waits for the next
		   block to see whether an LF follows */
		start = 0;
		if (pending_cr) {
			if (data[0] != '\n')
				HASH_LF("\r", 1);
			pending_cr = FALSE;
		}
		for (i = 0; i < size; i++) {
			if (data[i] != '\r')
				continue;
			if (i + 1 == size) {
				HASH_LF(data + start, i - start);
				start = size;
				pending_cr = TRUE;
			} else if (data[i + 1] == '\n') {
				HASH_LF(data + start, i - start);
				start = i + 1;
			}
		}
		if (start < size)
			HASH_LF(data + start, size - start);
		i_stream_skip(input, size);
	}
	if (pending_cr)
		HASH_LF("\r", 1);
#undef HASH_LF
	if (standby_hash_read_finish(input, start_offset, error_r) < 0)
		return -1;
	i_zero(hash_r);
	sha256_result(&lf_ctx, hash_r->lf);
	if (all) {
		sha256_result(&raw_ctx, hash_r->raw);
		sha256_result(&crlf_ctx, hash_r->crlf);
	}
	return 0;
}

int standby_hash_stream_raw_hex(struct istream *input, const char **hex_r,
				const char **error_r)
{
	unsigned char digest[SHA256_RESULTLEN];
	struct sha256_ctx ctx;
	const unsigned char *data;
	uoff_t start_offset = input->v_offset;
	size_t size;

	sha256_init(&ctx);
	while (i_stream_read_more(input, &data, &size) > 0) {
		sha256_loop(&ctx, data, size);
		i_stream_skip(input, size);
	}
	if (standby_hash_read_finish(input, start_offset, error_r) < 0)
		return -1;
	sha256_result(&ctx, digest);
	*hex_r = binary_to_hex(digest, sizeof(digest));
	return 0;
}

bool standby_hash_matches_hex(const struct standby_hash *hash,
			      const char *hex)
{
	return strcasecmp(hex, binary_to_hex(hash->raw,
					     sizeof(hash->raw))) == 0 ||
		strcasecmp(hex, binary_to_hex(hash->lf,
					      sizeof(hash->lf))) == 0 ||
		strcasecmp(hex, binary_to_hex(hash->crlf,
					      sizeof(hash->crlf))) == 0;
}

bool standby_hash_equals(const struct standby_hash *a,
			 const struct standby_hash *b)
{
	return memcmp(a->lf, b->lf, sizeof(a->lf)) == 0;
}

const char *standby_hash_lf_hex(const struct standby_hash *hash)
{
	return binary_to_hex(hash->lf, sizeof(hash->lf));
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* imapc's log lines while it runs for us: the first error is kept for the
   caller, and every line is cleaned of credentials before it is logged. */

#include "lib.h"
#include "str.h"
#include "base64.h"
#include "strescape.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-private.h"

/* imapc reports connection, TLS and protocol errors only by i_error().
   While imapc's ioloop runs for us, the first such error is kept so that
   callers get the real reason instead of "Disconnected from server".
   Only one synchronous run can be active in a process at a time. */
static struct standby_imap *standby_imap_capturing = NULL;
static failure_callback_t *standby_imap_prev_error_handler = NULL;
static failure_callback_t *standby_imap_prev_info_handler = NULL;
/* doveadm reports the errors itself, in one line: imapc's own error and
   info lines become debug lines */
static bool standby_imap_quiet = FALSE;

void standby_imap_set_quiet(bool quiet)
{
	standby_imap_quiet = quiet;
}

static void ATTR_FORMAT(2, 3)
standby_imap_prev_error(const struct failure_context *ctx,
			const char *format, ...)
{
	va_list args;

	va_start(args, format);
	standby_imap_prev_error_handler(ctx, format, args);
	va_end(args);
}

static void
standby_imap_error_handler(const struct failure_context *ctx,
			   const char *format, va_list args)
{
	struct standby_imap *imap = standby_imap_capturing;
	int old_errno = errno;
	va_list args2;

	if (imap != NULL && imap->captured_error == NULL &&
	    ctx->type == LOG_TYPE_ERROR) {
		va_copy(args2, args);
		T_BEGIN {
			imap->captured_error =
				i_strdup(t_strdup_vprintf(format, args2));
		} T_END;
		va_end(args2);
		errno = old_errno;
	}
	if (standby_imap_quiet && imap != NULL &&
	    ctx->type != LOG_TYPE_FATAL && ctx->type != LOG_TYPE_PANIC) {
		if (event_want_debug(imap->event)) T_BEGIN {
			e_debug(imap->event, "%s",
				standby_imap_sanitize(imap,
					t_strdup_vprintf(format, args)));
		} T_END;
		errno = old_errno;
		return;
	}
	if (imap != NULL) {
		/* imapc's own lines quote failed commands (LOGIN with the
		   password) and server replies, which may echo them */
		T_BEGIN {
			standby_imap_prev_error(ctx, "%s",
				standby_imap_sanitize(imap,
					t_strdup_vprintf(format, args)));
		} T_END;
		errno = old_errno;
		return;
	}
	standby_imap_prev_error_handler(ctx, format, args);
}

static void
standby_imap_info_handler(const struct failure_context *ctx,
			  const char *format, va_list args)
{
	if (standby_imap_quiet && standby_imap_capturing != NULL)
		return;
	standby_imap_prev_info_handler(ctx, format, args);
}

void standby_imap_capture_begin(struct standby_imap *imap)
{
	failure_callback_t *fatal, *error, *info, *debug;

	i_assert(standby_imap_capturing == NULL);

	i_get_failure_handlers(&fatal, &error, &info, &debug);
	standby_imap_prev_error_handler = error;
	standby_imap_prev_info_handler = info;
	standby_imap_capturing = imap;
	i_set_error_handler(standby_imap_error_handler);
	if (standby_imap_quiet)
		i_set_info_handler(standby_imap_info_handler);
}

void standby_imap_capture_end(struct standby_imap *imap)
{
	i_assert(standby_imap_capturing == imap);

	i_set_error_handler(standby_imap_prev_error_handler);
	if (standby_imap_quiet)
		i_set_info_handler(standby_imap_prev_info_handler);
	standby_imap_capturing = NULL;
	standby_imap_prev_error_handler = NULL;
	standby_imap_prev_info_handler = NULL;
}

static const char *
str_replace_all(const char *text, const char *from, const char *to)
{
	const char *p;
	string_t *str;

	if (*from == '\0' || strstr(text, from) == NULL)
		return text;
	str = t_str_new(strlen(text) + 32);
	while ((p = strstr(text, from)) != NULL) {
		str_append_data(str, text, p - text);
		str_append(str, to);
		text = p + strlen(from);
	}
	str_append(str, text);
	return str_c(str);
}

/* The SASL PLAIN response imapc sends (AUTHENTICATE PLAIN, used for
   credentials that need a literal): base64 of "\0user\0password" */
static const char *
standby_imap_sasl_plain(const char *user, const char *password)
{
	string_t *plain = t_str_new(128), *b64 = t_str_new(192);

	str_append_c(plain, '\0');
	str_append(plain, user == NULL ? "" : user);
	str_append_c(plain, '\0');
	str_append(plain, password);
	base64_encode(str_data(plain), str_len(plain), b64);
	return str_c(b64);
}

/* Make an imapc error or reply text fit for error_r: drop imapc's prefix
   and the text of the failed command (LOGIN/AUTHENTICATE carry the
   credentials), and as a last guard hide the password itself. */
const char *
standby_imap_sanitize(struct standby_imap *imap, const char *text)
{
	const char *password = imap->set->password;
	const char *p, *end;

	/* on 2.4 imapc's prefix follows the one of our event */
	if (standby_imap_str_begins(text, "standby(") &&
	    (p = strstr(text, "): imapc(")) != NULL)
		text = p + 3;
	if (standby_imap_str_begins(text, "imapc(") &&
	    (p = strstr(text, "): ")) != NULL)
		text = p + 3;
	p = strstr(text, " - disconnecting");
	if (p != NULL && p[16] == '\0')
		text = t_strdup_until(text, p);

	p = strstr(text, "Command '");
	if (p != NULL) {
		end = strstr(p, "' failed with BAD");
		if (end == NULL)
			end = strstr(p, "' timed out");
		if (end != NULL) {
			text = t_strconcat(t_strdup_until(text, p),
					   "Command", end + 1, NULL);
		}
	}
	if (password != NULL && *password != '\0') {
		text = str_replace_all(text, password, "<hidden>");
		text = str_replace_all(text, str_escape(password),
				       "<hidden>");
		text = str_replace_all(text,
			standby_imap_sasl_plain(imap->set->user, password),
			"<hidden>");
	}
	return text;
}

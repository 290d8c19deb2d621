/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "str-sanitize.h"
#include "unichar.h"
#include "standby-names.h"

bool standby_names_mailbox_is_valid(const char *mailbox,
				    const char **error_r)
{
	const unsigned char *p;
	const char *component, *next;
	size_t len = strlen(mailbox);

	if (len == 0) {
		*error_r = "folder name is empty";
		return FALSE;
	}
	if (len > STANDBY_NAMES_MAILBOX_MAX_LEN) {
		*error_r = t_strdup_printf(
			"folder name is too long (%zu bytes, max %u)",
			len, STANDBY_NAMES_MAILBOX_MAX_LEN);
		return FALSE;
	}
	if (!uni_utf8_str_is_valid(mailbox)) {
		*error_r = "folder name is not valid UTF-8";
		return FALSE;
	}
	/* C0 controls, DEL and the C1 controls U+0080..U+009F (UTF-8
	   C2 80..C2 9F; the string is valid UTF-8, so a C2 byte is always
	   followed by its continuation byte). U+0085 (NEL) ends a line for
	   many log readers. */
	for (p = (const unsigned char *)mailbox; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
			*error_r = "folder name contains a control character";
			return FALSE;
		}
	}
	if (mailbox[0] == STANDBY_NAMES_HIERARCHY_SEP) {
		*error_r = "folder name begins with '/'";
		return FALSE;
	}

	/* Every level must be a real name: no "", "." or ".." */
	component = mailbox;
	for (;;) {
		size_t clen;

		next = strchr(component, STANDBY_NAMES_HIERARCHY_SEP);
		clen = (next == NULL ? strlen(component) :
			(size_t)(next - component));
		if (clen == 0) {
			*error_r = "folder name has an empty level "
				"('//' or a trailing '/')";
			return FALSE;
		}
		if ((clen == 1 && component[0] == '.') ||
		    (clen == 2 && component[0] == '.' && component[1] == '.')) {
			*error_r = "folder name has a '.' or '..' level";
			return FALSE;
		}
		if (next == NULL)
			break;
		component = next + 1;
	}
	return TRUE;
}

static const char *const standby_names_system_flags[] = {
	"\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted", NULL
};

/* RFC 3501 atom-specials, without CTL and SP (checked separately) */
static bool standby_names_is_atom_special(unsigned char c)
{
	switch (c) {
	case '(': case ')': case '{': case '%': case '*': case '"':
	case '\\': case ']':
		return TRUE;
	default:
		return FALSE;
	}
}

bool standby_names_flag_is_valid(const char *flag, const char **error_r)
{
	const unsigned char *p;
	unsigned int i;
	size_t len;

	if (strchr(flag, ' ') != NULL) {
		*error_r = "flag contains a space";
		return FALSE;
	}
	if (flag[0] == '\\') {
		for (i = 0; standby_names_system_flags[i] != NULL; i++) {
			if (strcasecmp(flag,
				       standby_names_system_flags[i]) == 0)
				return TRUE;
		}
		if (strcasecmp(flag, "\\Recent") == 0) {
			*error_r = "\\Recent cannot be set by a client";
			return FALSE;
		}
		*error_r = "unknown system flag (expected \\Seen, "
			"\\Answered, \\Flagged, \\Draft or \\Deleted)";
		return FALSE;
	}

	len = strlen(flag);
	if (len == 0) {
		*error_r = "flag is empty";
		return FALSE;
	}
	if (len > STANDBY_NAMES_KEYWORD_MAX_LEN) {
		*error_r = t_strdup_printf(
			"keyword is too long (%zu bytes, max %u)",
			len, STANDBY_NAMES_KEYWORD_MAX_LEN);
		return FALSE;
	}
	for (p = (const unsigned char *)flag; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*error_r = "flag contains a control character";
			return FALSE;
		}
		if (*p >= 0x80) {
			*error_r = "keyword contains a non-ASCII character";
			return FALSE;
		}
		if (standby_names_is_atom_special(*p)) {
			*error_r = t_strdup_printf(
				"keyword contains '%c', which IMAP "
				"does not allow in a keyword", *p);
			return FALSE;
		}
	}
	return TRUE;
}

bool standby_names_flags_are_valid(const char *const *flags,
				   const char **error_r)
{
	const char *error;

	for (; flags != NULL && *flags != NULL; flags++) {
		if (!standby_names_flag_is_valid(*flags, &error)) {
			*error_r = t_strdup_printf("flag \"%s\": %s",
				str_sanitize(*flags, 64), error);
			return FALSE;
		}
	}
	return TRUE;
}

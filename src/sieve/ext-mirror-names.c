/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

#include "lib.h"
#include "unichar.h"

#include "ext-mirror-common.h"

/* Checks of the names a script gives to mirror: standby folders and IMAP
   flags. Used at compile time for literal strings and at runtime for
   strings built from variables. */

/* Standby folder names use '/' as the hierarchy separator; the worker
   translates it to the standby's own. */
#define EXT_MIRROR_HIERARCHY_SEP '/'

bool ext_mirror_mailbox_is_valid(const char *mailbox, const char **error_r)
{
	const unsigned char *p;
	const char *component, *next;
	size_t len = strlen(mailbox);

	if (len == 0) {
		*error_r = "folder name is empty "
			"(omit :mailbox for the default folder)";
		return FALSE;
	}
	if (len > EXT_MIRROR_MAILBOX_MAX_LEN) {
		*error_r = t_strdup_printf(
			"folder name is too long (%zu bytes, max %u)",
			len, EXT_MIRROR_MAILBOX_MAX_LEN);
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
	if (mailbox[0] == EXT_MIRROR_HIERARCHY_SEP) {
		*error_r = "folder name begins with '/'";
		return FALSE;
	}

	/* Every level must be a real name: no "", "." or ".." */
	component = mailbox;
	for (;;) {
		size_t clen;

		next = strchr(component, EXT_MIRROR_HIERARCHY_SEP);
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

static const char *const ext_mirror_system_flags[] = {
	"\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted", NULL
};

/* RFC 3501 atom-specials, without CTL and SP (checked separately) */
static bool ext_mirror_is_atom_special(unsigned char c)
{
	switch (c) {
	case '(': case ')': case '{': case '%': case '*': case '"':
	case '\\': case ']':
		return TRUE;
	default:
		return FALSE;
	}
}

bool ext_mirror_flag_is_valid(const char *flag, const char **error_r)
{
	const unsigned char *p;
	unsigned int i;
	size_t len;

	if (strchr(flag, ' ') != NULL) {
		*error_r = "flag contains a space "
			"(give each flag as its own string)";
		return FALSE;
	}
	if (flag[0] == '\\') {
		for (i = 0; ext_mirror_system_flags[i] != NULL; i++) {
			if (strcasecmp(flag, ext_mirror_system_flags[i]) == 0)
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
	if (len > EXT_MIRROR_KEYWORD_MAX_LEN) {
		*error_r = t_strdup_printf(
			"keyword is too long (%zu bytes, max %u)",
			len, EXT_MIRROR_KEYWORD_MAX_LEN);
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
		if (ext_mirror_is_atom_special(*p)) {
			*error_r = t_strdup_printf(
				"keyword contains '%c', which IMAP "
				"does not allow in a keyword", *p);
			return FALSE;
		}
	}
	return TRUE;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The standby IMAP client (standby-imap-*.c) against a real Dovecot
   (started by run-test.sh).
   Usage: test-standby-imap <test dir> <imaps port> <imap port> <fake port>
   <silent port> (fake-imap-server.py). The fake server's misbehaviour
   is chosen by the user name (see its MODES). */

#include "lib.h"
#include "array.h"
#include "ioloop.h"
#include "istream.h"
#include "str.h"
#include "unlink-directory.h"
#include "standby-settings.h"
#include "standby-imap.h"
#include "standby-imap-fetch.h"
#include "standby-queue.h"
#include "standby-ledger.h"
#include "standby-drain.h"

#include <stdio.h>
#include <unistd.h>

#define TEST_USER "standby"
#define TEST_PASSWORD "Stand8y-Secret!"
#define TEST_WRONG_PASSWORD "Wr0ng-Passw0rd-XYZ"

static unsigned int passed, failed;
/* the warnings logged since the last test_warnings_get() */
static string_t *test_warnings;
static failure_callback_t *test_orig_error_handler;
static const char *test_dir;
static in_port_t imaps_port, imap_port, fake_port, silent_port;

static void check(bool ok, const char *name, const char *detail)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%s: %s%s%s\n", ok ? "PASS" : "FAIL", name,
	       detail == NULL ? "" : " -- ", detail == NULL ? "" : detail);
	fflush(stdout);
}

static void
test_error_handler(const struct failure_context *ctx, const char *format,
		   va_list args)
{
	va_list args2;

	if (ctx->type == LOG_TYPE_WARNING) {
		va_copy(args2, args);
		str_vprintfa(test_warnings, format, args2);
		str_append_c(test_warnings, '\n');
		va_end(args2);
	}
	test_orig_error_handler(ctx, format, args);
}

static const char *test_warnings_get(void)
{
	const char *text = t_strdup(str_c(test_warnings));

	str_truncate(test_warnings, 0);
	return text;
}

static struct standby_settings *
test_settings(enum standby_ssl_mode ssl, const char *host, bool with_ca)
{
	struct standby_settings *set = t_new(struct standby_settings, 1);

	set->host = host;
	set->port = ssl == STANDBY_SSL_IMAPS ? imaps_port : imap_port;
	set->ssl = ssl;
	set->ssl_verify = TRUE;
	set->ssl_ca_file = with_ca ?
		t_strconcat(test_dir, "/ca.crt", NULL) : NULL;
	set->user = TEST_USER;
	set->password = TEST_PASSWORD;
	set->state_dir = test_dir;
	set->sent_mailbox = "Sent";
	set->timeout_secs = 10;
	return set;
}

static struct istream *test_message(const char *subject, size_t body_size,
				    char fill)
{
	string_t *str = t_str_new(body_size + 256);
	size_t i;

	str_printfa(str, "From: a@example.com\r\nTo: b@example.com\r\n"
		    "Subject: %s\r\nMessage-ID: <%s@test>\r\n\r\n",
		    subject, subject);
	for (i = 0; i < body_size; i++) {
		str_append_c(str, fill);
		if ((i % 70) == 69)
			str_append(str, "\r\n");
	}
	str_append(str, "\r\n");
	return i_stream_create_copy_from_data(str_data(str), str_len(str));
}

static void test_login(void)
{
	struct standby_settings *set;
	struct standby_imap *imap;
	const char *error;
	int ret;

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.1", TRUE);
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret == 0, "IMAPS login with CA file", ret < 0 ? error : NULL);
	if (ret == 0)
		standby_imap_disconnect(&imap);

	set->password = TEST_WRONG_PASSWORD;
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0, "wrong password fails", ret < 0 ? error : NULL);
	if (ret < 0) {
		check(strstr(error, TEST_WRONG_PASSWORD) == NULL &&
		      strstr(error, "Authentication failed") != NULL,
		      "wrong password error is clear and hides password",
		      error);
	} else {
		standby_imap_disconnect(&imap);
	}

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.2", TRUE);
	set->ssl_verify = FALSE;
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret == 0, "ssl_verify=no accepts mismatch",
	      ret < 0 ? error : NULL);
	if (ret == 0)
		standby_imap_disconnect(&imap);

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.1", TRUE);
	set->port = 1;
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0, "connection refused fails", ret < 0 ? error : NULL);
	if (ret == 0)
		standby_imap_disconnect(&imap);
}

/* Settings imapc can't take are errors, never a fatal (Dovecot 2.4's imapc
   reads its settings with settings_get_or_fatal()), and the same on both
   majors */
static void test_login_settings(void)
{
	struct standby_settings *set;
	struct standby_imap *imap;
	const char *error;
	int ret;

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.1", FALSE);
	set->ssl_ca_file = t_strconcat(test_dir, "/no-such-ca.crt", NULL);
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0 && strstr(error, "TLS setup failed") != NULL &&
	      strstr(error, "no-such-ca.crt") != NULL,
	      "missing ssl_ca_file: TLS setup fails, naming the file",
	      ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.1", TRUE);
	set->user = "standby%{user}";
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0, "user with %{...}: an error, not a fatal",
	      ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.1", TRUE);
	set->port = 1;
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0 && strstr(error, "standby(") == NULL &&
	      strstr(error, "imapc(") == NULL,
	      "connection error without log prefixes",
	      ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);
}

/* Dovecot 2.3.19's imapc crashes (NULL o_stream_flush() in
   imapc_connection_connected()) when an IMAPS handshake fails within its
   first step, which happens when the server's certificate arrives before
   the client reads: often under valgrind. run-test.sh runs these without
   valgrind (STANDBY_IMAP_TEST_GROUP=tls-reject). */
static void test_login_tls_reject(void)
{
	struct standby_settings *set;
	struct standby_imap *imap;
	const char *error;
	int ret;

	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.1", FALSE);
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0 && strstr(error, "TLS") != NULL &&
	      strstr(error, TEST_PASSWORD) == NULL,
	      "untrusted certificate rejected", ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);

	/* CA fine, host name wrong (cert is for localhost/127.0.0.1) */
	set = test_settings(STANDBY_SSL_IMAPS, "127.0.0.2", TRUE);
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0 && strstr(error, "TLS") != NULL,
	      "certificate host name mismatch rejected",
	      ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);
}

static void test_append_find(enum standby_ssl_mode ssl, const char *host,
			     const char *folder)
{
	static const char *flags[] = { "\\Seen", "$Kw", "bad flag", NULL };
	struct standby_imap_append appends[40];
	struct standby_imap *imap;
	struct istream *inputs[40], *other, *big, *big_other;
	const char *error, *name;
	uint32_t uidvalidity, uid;
	unsigned int i, ok_count = 0;
	int ret;

	name = t_strdup_printf("%s login", standby_ssl_mode_to_str(ssl));
	ret = standby_imap_connect(test_settings(ssl, host, TRUE), NULL,
				   &imap, &error);
	check(ret == 0, name, ret < 0 ? error : NULL);
	if (ret < 0)
		return;

	memset(appends, 0, sizeof(appends));
	for (i = 0; i < N_ELEMENTS(appends); i++) {
		inputs[i] = test_message(t_strdup_printf("%s-%u",
			standby_ssl_mode_to_str(ssl), i),
			i == 1 ? 100*1024 : 200 + i, 'a' + (i % 20));
		/* the caller's stream is positioned at the body start */
		i_stream_skip(inputs[i], 0);
		appends[i].mailbox = i % 2 == 0 ? folder :
			t_strconcat(folder, "/Unter", NULL);
		appends[i].flags = flags;
		appends[i].internal_date = 1700000000 + i;
		appends[i].tz_offset_mins = 60;
		appends[i].input = inputs[i];
	}
	ret = standby_imap_append_many(imap, appends, N_ELEMENTS(appends));
	for (i = 0; i < N_ELEMENTS(appends); i++) {
		if (appends[i].result == STANDBY_IMAP_OK &&
		    appends[i].uid != 0 && appends[i].uidvalidity != 0)
			ok_count++;
		else if (ok_count + 1 == i + 1)
			printf("  append %u: result=%d error=%s\n", i,
			       appends[i].result, appends[i].error);
	}
	check(ret == 0 && ok_count == N_ELEMENTS(appends),
	      t_strdup_printf("%s: 40 pipelined APPENDs into new folders "
			      "%s and %s/Unter", name, folder, folder),
	      t_strdup_printf("ok=%u ret=%d", ok_count, ret));
	printf("  first uidvalidity=%u uid=%u\n",
	       appends[0].uidvalidity, appends[0].uid);

	/* find the small and the big (file literal) one */
	ret = standby_imap_find_copy(imap, folder, inputs[0], &uidvalidity,
				     &uid, &error);
	check(ret == 1 && uid == appends[0].uid &&
	      uidvalidity == appends[0].uidvalidity,
	      t_strdup_printf("%s: find_copy finds appended message", name),
	      ret < 0 ? error : t_strdup_printf("ret=%d uid=%u", ret, uid));
	check(inputs[0]->v_offset == 0, "find_copy restores offset", NULL);

	ret = standby_imap_find_copy(imap, t_strconcat(folder, "/Unter", NULL),
				     inputs[1], &uidvalidity, &uid, &error);
	check(ret == 1 && uid == appends[1].uid,
	      t_strdup_printf("%s: find_copy finds 100 kB message", name),
	      ret < 0 ? error : t_strdup_printf("ret=%d uid=%u", ret, uid));

	/* same size, different bytes */
	other = test_message(t_strdup_printf("%s-%u",
		standby_ssl_mode_to_str(ssl), 0), 200, 'z');
	ret = standby_imap_find_copy(imap, folder, other, &uidvalidity,
				     &uid, &error);
	check(ret == 0, t_strdup_printf("%s: find_copy rejects same-size "
					"different message", name),
	      ret < 0 ? error : t_strdup_printf("ret=%d uid=%u", ret, uid));
	i_stream_unref(&other);

	big = test_message(t_strdup_printf("%s-%u",
		standby_ssl_mode_to_str(ssl), 1), 100*1024, 'b');
	big_other = test_message(t_strdup_printf("%s-%u",
		standby_ssl_mode_to_str(ssl), 1), 100*1024, 'q');
	ret = standby_imap_find_copy(imap, t_strconcat(folder, "/Unter", NULL),
				     big_other, &uidvalidity, &uid, &error);
	check(ret == 0, t_strdup_printf("%s: find_copy rejects different "
					"100 kB message", name),
	      ret < 0 ? error : t_strdup_printf("ret=%d uid=%u", ret, uid));
	i_stream_unref(&big);
	i_stream_unref(&big_other);

	ret = standby_imap_find_copy(imap, "Gibt es nicht", inputs[0],
				     &uidvalidity, &uid, &error);
	check(ret == 0, t_strdup_printf("%s: find_copy in missing folder",
					name), ret < 0 ? error : NULL);

	/* appending works again after EXAMINE */
	ret = standby_imap_append_many(imap, appends, 1);
	check(ret == 0 && appends[0].result == STANDBY_IMAP_OK,
	      t_strdup_printf("%s: APPEND after find_copy", name),
	      appends[0].error);

	name = standby_imap_get_sent_mailbox(imap);
	check(strcmp(name, "Gesendet") == 0, "get_sent_mailbox finds \\Sent",
	      name);
	check(standby_imap_get_sent_mailbox(imap) == name,
	      "get_sent_mailbox is cached", NULL);

	for (i = 0; i < N_ELEMENTS(appends); i++)
		i_stream_unref(&inputs[i]);
	standby_imap_disconnect(&imap);
}

static void test_append_errors(void)
{
	struct standby_imap_append appends[2];
	struct standby_imap *imap;
	const char *error;
	int ret;

	ret = standby_imap_connect(test_settings(STANDBY_SSL_IMAPS,
			"127.0.0.1", TRUE), NULL, &imap, &error);
	if (ret < 0) {
		check(FALSE, "connect for error tests", error);
		return;
	}
	memset(appends, 0, sizeof(appends));
	appends[0].mailbox = "Fehler";
	appends[0].input = i_stream_create_from_data("", 0);
	/* invalid mUTF-7 source: not UTF-8 */
	appends[1].mailbox = "bad\xff";
	appends[1].input = test_message("x", 10, 'x');
	ret = standby_imap_append_many(imap, appends, 2);
	check(ret == 0 && appends[0].result != STANDBY_IMAP_OK &&
	      appends[0].result != STANDBY_IMAP_DISCONNECTED,
	      "empty message rejected, connection kept",
	      t_strdup_printf("ret=%d result=%d %s", ret, appends[0].result,
			      appends[0].error));
	check(appends[1].result == STANDBY_IMAP_PERMANENT,
	      "invalid UTF-8 folder name is permanent", appends[1].error);
	i_stream_unref(&appends[0].input);
	i_stream_unref(&appends[1].input);
	standby_imap_disconnect(&imap);
}

static void
test_fake_append(struct standby_imap *imap, struct standby_imap_append *appends,
		 const char *const *boxes, unsigned int count)
{
	unsigned int i;

	memset(appends, 0, sizeof(*appends) * count);
	for (i = 0; i < count; i++) {
		appends[i].mailbox = boxes[i];
		appends[i].input = test_message(boxes[i], 100, 'f');
	}
	(void)standby_imap_append_many(imap, appends, count);
	for (i = 0; i < count; i++)
		i_stream_unref(&appends[i].input);
}

static void test_fake_server(void)
{
	static const char *const boxes1[] = { "ok", "toobig", "quota", "ok" };
	static const char *const boxes2[] = { "ok", "drop", "ok" };
	struct standby_imap_append appends[4];
	struct standby_settings *set;
	struct standby_imap *imap;
	const char *error;
	uint32_t uidvalidity, uid;
	struct istream *input;
	int ret;

	set = test_settings(STANDBY_SSL_NONE, "127.0.0.1", FALSE);
	set->port = silent_port;
	set->timeout_secs = 2;
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret < 0 && strstr(error, "timed out") != NULL,
	      "silent server times out", ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);

	set->port = fake_port;
	ret = standby_imap_connect(set, NULL, &imap, &error);
	check(ret == 0, "fake server login", ret < 0 ? error : NULL);
	if (ret < 0)
		return;
	test_fake_append(imap, appends, boxes1, 4);
	check(appends[0].result == STANDBY_IMAP_OK &&
	      appends[0].uidvalidity == 77 && appends[0].uid == 1 &&
	      appends[1].result == STANDBY_IMAP_PERMANENT &&
	      appends[2].result == STANDBY_IMAP_NO &&
	      appends[3].result == STANDBY_IMAP_OK && appends[3].uid == 2,
	      "OK / NO [TOOBIG] before literal / NO [OVERQUOTA] / OK mapped",
	      t_strdup_printf("%d %d(%s) %d(%s) %d", appends[0].result,
			      appends[1].result, appends[1].error,
			      appends[2].result, appends[2].error,
			      appends[3].result));

	test_fake_append(imap, appends, boxes2, 3);
	check(appends[0].result == STANDBY_IMAP_OK &&
	      appends[1].result == STANDBY_IMAP_DISCONNECTED &&
	      appends[2].result == STANDBY_IMAP_DISCONNECTED &&
	      appends[1].error != NULL,
	      "connection lost during APPEND: uncertain ones DISCONNECTED",
	      t_strdup_printf("%d %d(%s) %d(%s)", appends[0].result,
			      appends[1].result, appends[1].error,
			      appends[2].result, appends[2].error));

	memset(appends, 0, sizeof(appends));
	appends[0].mailbox = "ok";
	appends[0].input = test_message("again", 10, 'g');
	ret = standby_imap_append_many(imap, appends, 1);
	check(ret < 0 && appends[0].result == STANDBY_IMAP_DISCONNECTED,
	      "no silent reconnect after a loss", appends[0].error);
	i_stream_unref(&appends[0].input);

	input = test_message("x", 10, 'x');
	ret = standby_imap_find_copy(imap, "ok", input, &uidvalidity, &uid,
				     &error);
	check(ret < 0, "find_copy after loss fails", ret < 0 ? error : NULL);
	i_stream_unref(&input);
	standby_imap_disconnect(&imap);

	/* BAD: imapc disconnects */
	ret = standby_imap_connect(set, NULL, &imap, &error);
	if (ret == 0) {
		static const char *const boxes3[] = { "bad", "ok" };

		test_fake_append(imap, appends, boxes3, 2);
		check(appends[0].result == STANDBY_IMAP_PERMANENT &&
		      appends[1].result == STANDBY_IMAP_DISCONNECTED,
		      "BAD is permanent, the rest DISCONNECTED",
		      t_strdup_printf("%d(%s) %d(%s)", appends[0].result,
				      appends[0].error, appends[1].result,
				      appends[1].error));
		standby_imap_disconnect(&imap);
	}
}

/* Hostile or broken standby servers: fake-imap-server.py misbehaves as
   the user name says. Every case must end (timeouts), leave the
   connection marked lost where it can't go on, and say why. */

static struct standby_settings *hostile_settings(const char *mode)
{
	struct standby_settings *set =
		test_settings(STANDBY_SSL_NONE, "127.0.0.1", FALSE);

	set->port = fake_port;
	set->user = mode;
	set->sent_mailbox = "Fallback-Sent";
	set->timeout_secs = 2;
	set->min_backoff_secs = 1;
	set->max_backoff_secs = 5;
	set->max_queue_lifetime_secs = 3600;
	return set;
}

static struct standby_imap *hostile_connect(const char *mode)
{
	struct standby_imap *imap;
	const char *error;

	if (standby_imap_connect(hostile_settings(mode), NULL, &imap,
				 &error) < 0) {
		check(FALSE, t_strdup_printf("%s: login", mode), error);
		return NULL;
	}
	return imap;
}

static bool str_has(const char *str, const char *part)
{
	return str != NULL && strstr(str, part) != NULL;
}

static void test_hostile_endless_lines(void)
{
	static const char *const boxes[] = { "ok", "ok" };
	struct standby_imap_append appends[2];
	struct standby_imap *imap;
	const char *error;
	int ret;

	/* (128 MB by default) */
	standby_imap_max_line_length = 1024*1024;
	ret = standby_imap_connect(hostile_settings("noeol-login"), NULL,
				   &imap, &error);
	check(ret < 0 && str_has(error, "too large"),
	      "4 MB LOGIN reply without CRLF: login fails as too large",
	      ret < 0 ? error : "connected");
	if (ret == 0)
		standby_imap_disconnect(&imap);

	imap = hostile_connect("noeol");
	standby_imap_max_line_length = STANDBY_IMAP_DEFAULT_MAX_LINE_LENGTH;
	if (imap == NULL)
		return;
	test_fake_append(imap, appends, boxes, 2);
	check(appends[0].result == STANDBY_IMAP_DISCONNECTED &&
	      appends[1].result == STANDBY_IMAP_DISCONNECTED &&
	      str_has(appends[0].error, "too large"),
	      "4 MB APPEND reply without CRLF: DISCONNECTED as too large",
	      t_strdup_printf("%d(%s) %d", appends[0].result,
			      appends[0].error, appends[1].result));
	standby_imap_disconnect(&imap);
}

static void test_hostile_literals(void)
{
	static const char *const boxes[] = { "ok" };
	struct standby_imap_append appends[1];
	struct standby_imap *imap;
	ARRAY_TYPE(standby_imap_folder) folders;
	struct istream *input;
	const char *error, *sent;
	uint32_t uidvalidity, uid;
	unsigned int i;
	pool_t pool;
	int ret;

	/* a 3 MB message is no line too long, unless the limit is lower */
	for (i = 0; i < 2; i++) {
		if (i == 1)
			standby_imap_max_line_length = 1024*1024;
		imap = hostile_connect("standby");
		standby_imap_max_line_length =
			STANDBY_IMAP_DEFAULT_MAX_LINE_LENGTH;
		if (imap == NULL)
			return;
		memset(appends, 0, sizeof(appends));
		appends[0].mailbox = "ok";
		appends[0].input = test_message("3mb", 3*1024*1024, 'm');
		ret = standby_imap_append_many(imap, appends, 1);
		uid = 0;
		if (ret == 0) {
			ret = standby_imap_find_copy(imap, "ok",
				appends[0].input, &uidvalidity, &uid, &error);
		}
		if (i == 0) {
			check(ret == 1 && uid == 1,
			      "3 MB message appended and found",
			      ret < 0 ? error :
			      t_strdup_printf("ret=%d uid=%u", ret, uid));
		} else {
			check(ret < 0 &&
			      str_has(error, "Can't look for a message"),
			      "find_copy refuses a message over the limit",
			      ret < 0 ? error : t_strdup_printf("ret=%d", ret));
		}
		i_stream_unref(&appends[0].input);
		standby_imap_disconnect(&imap);
	}

	/* LIST "Sent" as a 2 GB literal, followed by 3 MB of it */
	standby_imap_max_line_length = 1024*1024;
	imap = hostile_connect("biglit-list");
	standby_imap_max_line_length = STANDBY_IMAP_DEFAULT_MAX_LINE_LENGTH;
	if (imap == NULL)
		return;
	sent = standby_imap_get_sent_mailbox(imap);
	check(strcmp(sent, "Fallback-Sent") == 0,
	      "2 GB literal in LIST: \\Sent falls back to the setting", sent);
	/* filled in imapc's callbacks: not on the data stack */
	pool = pool_alloconly_create("test folders", 1024);
	p_array_init(&folders, pool, 4);
	ret = standby_imap_list_folders(imap, pool, &folders, &error);
	pool_unref(&pool);
	test_fake_append(imap, appends, boxes, 1);
	check(ret < 0 && appends[0].result == STANDBY_IMAP_DISCONNECTED &&
	      str_has(appends[0].error, "too large"),
	      "2 GB literal in LIST: connection dropped as too large",
	      t_strdup_printf("list=%d %d(%s)", ret, appends[0].result,
			      appends[0].error));
	standby_imap_disconnect(&imap);

	/* FETCH BODY[] {2000000000} and then silence: find_copy times out */
	if ((imap = hostile_connect("biglit-fetch")) == NULL)
		return;
	input = test_message("big", 100, 'f');
	ret = standby_imap_find_copy(imap, "ok", input, &uidvalidity, &uid,
				     &error);
	check(ret < 0 && str_has(error, "timed out"),
	      "2 GB FETCH literal, then silence: find_copy times out",
	      ret < 0 ? error : t_strdup_printf("ret=%d", ret));
	check(input->v_offset == 0, "find_copy restores offset after error",
	      NULL);
	test_fake_append(imap, appends, boxes, 1);
	check(appends[0].result == STANDBY_IMAP_DISCONNECTED,
	      "no APPEND after the timeout", appends[0].error);
	standby_imap_disconnect(&imap);

	/* ... 3 MB of it and then EOF */
	if ((imap = hostile_connect("biglit-fetch-eof")) == NULL) {
		i_stream_unref(&input);
		return;
	}
	ret = standby_imap_find_copy(imap, "ok", input, &uidvalidity, &uid,
				     &error);
	check(ret < 0 && str_has(error, "disconnected"),
	      "2 GB FETCH literal cut off by EOF: find_copy fails",
	      ret < 0 ? error : t_strdup_printf("ret=%d", ret));
	i_stream_unref(&input);
	standby_imap_disconnect(&imap);
}

static void test_hostile_utf7(void)
{
	ARRAY_TYPE(standby_imap_folder) folders;
	const struct standby_imap_folder *folder;
	struct standby_imap *imap;
	const char *error, *sent;
	string_t *names;
	pool_t pool;
	int ret;

	if ((imap = hostile_connect("utf7")) == NULL)
		return;
	sent = standby_imap_get_sent_mailbox(imap);
	check(strcmp(sent, "Fallback-Sent") == 0,
	      "invalid mUTF-7 \\Sent folder: falls back to the setting", sent);
	pool = pool_alloconly_create("test folders", 1024);
	p_array_init(&folders, pool, 8);
	ret = standby_imap_list_folders(imap, pool, &folders, &error);
	names = t_str_new(64);
	array_foreach(&folders, folder)
		str_printfa(names, "[%s]", folder->name);
	pool_unref(&pool);
	check(ret == 0 && strcmp(str_c(names), "[Aufträge][INBOX]") == 0,
	      "invalid mUTF-7 names in LIST are skipped, the valid ones kept",
	      ret < 0 ? error : str_c(names));
	standby_imap_disconnect(&imap);
}

static void test_hostile_appenduid(void)
{
	static const char *const boxes[] = {
		"uid-alpha", "uid-validity-zero", "uid-zero", "uid-set",
		"uid-list", "uid-count", "uid-huge", "uid-missing", "ok",
	};
	struct standby_imap_append appends[N_ELEMENTS(boxes)];
	struct standby_imap *imap;
	const char *warnings;
	unsigned int i;

	if ((imap = hostile_connect("standby")) == NULL)
		return;
	(void)test_warnings_get();
	test_fake_append(imap, appends, boxes, N_ELEMENTS(boxes));
	warnings = test_warnings_get();
	for (i = 0; i + 1 < N_ELEMENTS(boxes); i++) {
		check(str_has(warnings, t_strdup_printf(
			"invalid APPENDUID for a message in %s,", boxes[i])),
		      t_strdup_printf("broken APPENDUID (%s): warning",
				      boxes[i]), NULL);
		/* stored (OK), but no usable UID: as without UIDPLUS */
		check(appends[i].result == STANDBY_IMAP_OK &&
		      appends[i].uidvalidity == 0 && appends[i].uid == 0,
		      t_strdup_printf("broken APPENDUID (%s): OK without UID",
				      boxes[i]),
		      t_strdup_printf("%d uidvalidity=%u uid=%u",
				      appends[i].result,
				      appends[i].uidvalidity,
				      appends[i].uid));
	}
	check(appends[i].result == STANDBY_IMAP_OK &&
	      appends[i].uidvalidity == 77 && appends[i].uid == 1,
	      "valid APPENDUID after broken ones", NULL);
	standby_imap_disconnect(&imap);
}

static void test_hostile_unsolicited(void)
{
	static const char *const boxes3[] = { "ok", "ok", "ok" };
	static const char *const bad_tags[] = { "unknown-tag", "bad-tag" };
	struct standby_imap_append appends[3];
	ARRAY_TYPE(standby_imap_folder) folders;
	struct standby_imap *imap;
	struct istream *input;
	const char *error;
	uint32_t uidvalidity, uid;
	unsigned int i;
	pool_t pool;
	int ret;

	/* EXISTS, EXPUNGE, FETCH, [ALERT], unknown ones around every reply */
	if ((imap = hostile_connect("chatty")) == NULL)
		return;
	(void)test_warnings_get();
	test_fake_append(imap, appends, boxes3, 3);
	check(str_has(test_warnings_get(), "The standby says: [ALERT] "
		      "The standby goes down for maintenance"),
	      "unsolicited [ALERT]: logged as a warning", NULL);
	check(appends[0].result == STANDBY_IMAP_OK && appends[0].uid == 1 &&
	      appends[1].result == STANDBY_IMAP_OK && appends[1].uid == 2 &&
	      appends[2].result == STANDBY_IMAP_OK && appends[2].uid == 3,
	      "unsolicited responses: APPENDs unaffected",
	      t_strdup_printf("%d(%s) %d %d", appends[0].result,
			      appends[0].error, appends[1].result,
			      appends[2].result));
	/* the same bytes as the three appended: the first is found */
	input = test_message("ok", 100, 'f');
	ret = standby_imap_find_copy(imap, "ok", input, &uidvalidity, &uid,
				     &error);
	check(ret == 1 && uid == 1 && uidvalidity == 77,
	      "unsolicited responses: find_copy unaffected",
	      ret < 0 ? error : t_strdup_printf("ret=%d uid=%u", ret, uid));
	i_stream_unref(&input);
	/* filled in imapc's callbacks: not on the data stack */
	pool = pool_alloconly_create("test folders", 1024);
	p_array_init(&folders, pool, 4);
	ret = standby_imap_list_folders(imap, pool, &folders, &error);
	pool_unref(&pool);
	check(ret == 0, "unsolicited responses: LIST unaffected",
	      ret < 0 ? error : NULL);
	standby_imap_disconnect(&imap);

	/* a line that does not parse */
	if ((imap = hostile_connect("garbage")) == NULL)
		return;
	test_fake_append(imap, appends, boxes3, 2);
	/* imapc logs and skips it; the APPENDs' OKs stand */
	check(appends[0].result == STANDBY_IMAP_OK &&
	      appends[1].result == STANDBY_IMAP_OK,
	      "unparsable untagged line: skipped, APPENDs OK",
	      t_strdup_printf("%d(%s) %d(%s)", appends[0].result,
			      appends[0].error, appends[1].result,
			      appends[1].error));
	standby_imap_disconnect(&imap);

	/* BYE in the middle of a pipeline */
	if ((imap = hostile_connect("bye")) == NULL)
		return;
	test_fake_append(imap, appends, boxes3, 3);
	check(appends[0].result == STANDBY_IMAP_OK &&
	      appends[1].result == STANDBY_IMAP_DISCONNECTED &&
	      appends[2].result == STANDBY_IMAP_DISCONNECTED &&
	      str_has(appends[1].error, "Shutting down for hostile testing"),
	      "unsolicited BYE: the rest DISCONNECTED with the server's text",
	      t_strdup_printf("%d %d(%s) %d", appends[0].result,
			      appends[1].result, appends[1].error,
			      appends[2].result));
	standby_imap_disconnect(&imap);

	/* BYE after the last reply, between commands: imapc connects again
	   for the next command (nothing was in flight) */
	if ((imap = hostile_connect("bye")) == NULL)
		return;
	test_fake_append(imap, appends, boxes3, 1);
	test_fake_append(imap, appends + 1, boxes3, 1);
	check(appends[0].result == STANDBY_IMAP_OK &&
	      appends[1].result == STANDBY_IMAP_OK && appends[1].uid == 1,
	      "BYE between commands: the next command connects again",
	      t_strdup_printf("%d %d(%s)", appends[0].result,
			      appends[1].result, appends[1].error));
	standby_imap_disconnect(&imap);

	/* a tagged reply to a command never sent, and a tag that isn't */
	for (i = 0; i < N_ELEMENTS(bad_tags); i++) {
		if ((imap = hostile_connect(bad_tags[i])) == NULL)
			return;
		test_fake_append(imap, appends, boxes3, 2);
		check(appends[0].result == STANDBY_IMAP_DISCONNECTED &&
		      appends[1].result == STANDBY_IMAP_DISCONNECTED &&
		      str_has(appends[0].error, "tag"),
		      t_strdup_printf("%s in a reply: DISCONNECTED",
				      bad_tags[i]),
		      t_strdup_printf("%d(%s) %d", appends[0].result,
				      appends[0].error, appends[1].result));
		standby_imap_disconnect(&imap);
	}
}

/* The drain against hostile servers: nothing may be lost (entries stay
   queued, nothing dead-lettered for the server's faults) and the error
   says why. */

static const char *drain_dir(void)
{
	return t_strconcat(test_dir, "/drain-state", NULL);
}

static void drain_reset(const char *mailbox)
{
	struct standby_queue *queue;
	struct standby_entry entry;
	struct istream *input;
	const char *error, *dir = drain_dir();
	unsigned int i;

	if (unlink_directory(dir, UNLINK_DIRECTORY_FLAG_RMDIR, &error) < 0 &&
	    errno != ENOENT)
		i_fatal("%s", error);
	queue = standby_queue_init(dir, NULL);
	for (i = 0; i < 3; i++) {
		i_zero(&entry);
		entry.mailbox = mailbox;
		entry.internal_date = 1700000000;
		entry.queued_time = ioloop_time;
		entry.direction = STANDBY_DIRECTION_INCOMING;
		input = test_message("ok", 100, 'f');
		if (standby_queue_add(queue, &entry, input, &error) < 0)
			i_fatal("%s", error);
		i_stream_unref(&input);
	}
	standby_queue_deinit(&queue);
}

static unsigned int drain_count(enum standby_queue_dir dir)
{
	ARRAY_TYPE(standby_queue_item) items;
	struct standby_queue *queue;
	const char *error;
	unsigned int count;

	queue = standby_queue_init(drain_dir(), NULL);
	t_array_init(&items, 8);
	if (standby_queue_list(queue, dir, pool_datastack_create(), &items,
			       &error) < 0)
		i_fatal("%s", error);
	count = array_count(&items);
	standby_queue_deinit(&queue);
	return count;
}

static void
drain_check(const char *mode, unsigned int sent, const char *error_part,
	    const char *name)
{
	struct standby_settings *set = hostile_settings(mode);
	struct standby_drain_result result;
	const char *error;
	unsigned int queued, dead;
	int ret;

	set->state_dir = drain_dir();
	ret = standby_drain_run(set, "hostile", NULL, STANDBY_DRAIN_FLAG_FORCE,
				&result, &error);
	queued = drain_count(STANDBY_QUEUE_DIR_QUEUE);
	dead = drain_count(STANDBY_QUEUE_DIR_DEAD);
	check(ret == 0 && result.sent == sent && result.killed == 0 &&
	      dead == 0 && queued == 3 - sent && result.remaining == queued &&
	      (error_part == NULL ? result.error == NULL :
	       str_has(result.error, error_part)),
	      t_strdup_printf("drain: %s", name),
	      t_strdup_printf("ret=%d sent=%u deferred=%u killed=%u "
			      "queued=%u dead=%u error=%s", ret, result.sent,
			      result.deferred, result.killed, queued, dead,
			      ret < 0 ? error : result.error));
}

static void test_hostile_drain(void)
{
	ARRAY_TYPE(standby_ledger_record) records;
	const struct standby_ledger_record *rec;
	const char *error;
	unsigned int bad_lines;
	bool uids_zero = TRUE;
	pool_t pool;

	drain_reset("ok");
	standby_imap_max_line_length = 1024*1024;
	drain_check("noeol", 0, "too large",
		    "endless line: all 3 stay queued, error says why");
	standby_imap_max_line_length = STANDBY_IMAP_DEFAULT_MAX_LINE_LENGTH;
	/* now uncertain: the next drain looks for them first */
	drain_check("biglit-fetch", 0, "timed out",
		    "2 GB FETCH literal in find_copy: all 3 stay queued");
	drain_check("unknown-tag", 0, "tag",
		    "unknown tag: all 3 stay queued");

	drain_reset("ok");
	drain_check("bye", 1, "Shutting down for hostile testing",
		    "BYE after the first: 1 sent, 2 stay queued");
	drain_reset("ok");
	drain_check("garbage", 3, NULL, "unparsable line: all 3 sent");
	drain_reset("ok");
	drain_check("chatty", 3, NULL,
		    "unsolicited responses: all 3 sent");

	/* stored, but the APPENDUID is junk: sent, recorded without UID */
	drain_reset("uid-set");
	drain_check("standby", 3, NULL, "broken APPENDUID: all 3 sent");
	pool = pool_alloconly_create("test ledger", 1024);
	p_array_init(&records, pool, 4);
	if (standby_ledger_read(drain_dir(), pool, &records, &bad_lines,
				&error) < 0)
		i_fatal("%s", error);
	array_foreach(&records, rec)
		uids_zero = uids_zero && rec->uid == 0 && rec->uidvalidity == 0;
	check(array_count(&records) == 3 && uids_zero && bad_lines == 0,
	      "drain: broken APPENDUID recorded as no UID", NULL);
	pool_unref(&pool);
}

static void test_all(void)
{
	T_BEGIN {
		test_login();
	} T_END;
	T_BEGIN {
		test_login_settings();
	} T_END;
	T_BEGIN {
		test_append_find(STANDBY_SSL_IMAPS, "127.0.0.1",
				 "Aufträge");
	} T_END;
	T_BEGIN {
		test_append_find(STANDBY_SSL_STARTTLS, "localhost",
				 "STARTTLS Ordner");
	} T_END;
	T_BEGIN {
		test_append_errors();
	} T_END;
	T_BEGIN {
		test_fake_server();
	} T_END;
	T_BEGIN {
		test_hostile_endless_lines();
	} T_END;
	T_BEGIN {
		test_hostile_literals();
	} T_END;
	T_BEGIN {
		test_hostile_utf7();
	} T_END;
	T_BEGIN {
		test_hostile_appenduid();
	} T_END;
	T_BEGIN {
		test_hostile_unsolicited();
	} T_END;
	T_BEGIN {
		test_hostile_drain();
	} T_END;
}

int main(int argc, char *argv[])
{
	failure_callback_t *fatal, *info, *debug;
	struct ioloop *ioloop;
	const char *group;

	lib_init();
	if (argc != 6)
		i_fatal("Usage: %s <test dir> <imaps port> <imap port> "
			"<fake port> <silent port>", argv[0]);
	test_dir = argv[1];
	if (net_str2port(argv[2], &imaps_port) < 0 ||
	    net_str2port(argv[3], &imap_port) < 0 ||
	    net_str2port(argv[4], &fake_port) < 0 ||
	    net_str2port(argv[5], &silent_port) < 0)
		i_fatal("Invalid port");

	ioloop = io_loop_create();
	test_warnings = str_new(default_pool, 256);
	i_get_failure_handlers(&fatal, &test_orig_error_handler, &info,
			       &debug);
	i_set_error_handler(test_error_handler);
	group = getenv("STANDBY_IMAP_TEST_GROUP");
	if (group != NULL && strcmp(group, "tls-reject") == 0) {
		T_BEGIN {
			test_login_tls_reject();
		} T_END;
	} else {
		test_all();
	}
	i_set_error_handler(test_orig_error_handler);
	str_free(&test_warnings);
	io_loop_destroy(&ioloop);
	standby_imap_deinit();
	lib_deinit();

	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}

/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* standby-imap.c against a real Dovecot (started by run-test.sh).
   Usage: test-standby-imap <test dir> <imaps port> <imap port> <fake port>
   <silent port> (fake-imap-server.py) */

#include "lib.h"
#include "ioloop.h"
#include "istream.h"
#include "str.h"
#include "standby-settings.h"
#include "standby-imap.h"

#include <stdio.h>
#include <unistd.h>

#define TEST_USER "standby"
#define TEST_PASSWORD "Stand8y-Secret!"
#define TEST_WRONG_PASSWORD "Wr0ng-Passw0rd-XYZ"

static unsigned int passed, failed;
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

int main(int argc, char *argv[])
{
	struct ioloop *ioloop;

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
	T_BEGIN {
		test_login();
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
	io_loop_destroy(&ioloop);
	lib_deinit();

	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}

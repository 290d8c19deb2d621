/* Copyright (c) 2026 dovecot-standby authors, see the included COPYING file */

/* The Sieve mirror command through compile and run, with Pigeonhole's
   libdovecot-sieve and the extension's sources compiled in (as
   instrumented as the rest). An input starting with "require" is a whole
   script; any other input is the arguments of one command:

     require ["vnd.standby.mirror", "variables", "environment", ...];
     mirror <input>;

   A script that compiles is dumped (the operation's dump code reads the
   operands back) and executed on a small message, as delivered mail and
   as mail saved to Sent, without a mail user, as sieve-test does. Then the
   action must queue nothing: the private directory stays empty. */

#include "lib.h"
#include "str.h"
#include "istream.h"
#include "ostream.h"
#include "master-interface.h"
#include "master-service.h"
#include "mail-user.h"
#include "mail-raw.h"

#include "sieve.h"
#include "sieve-script.h"
#include "sieve-binary.h"
#include "sieve-binary-dumper.h"
#include "sieve-extensions.h"

#include "ext-mirror-common.h"
#include "fuzz-standby-common.h"
#include "fuzz-standby-mirror.h"

#include <stdio.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define FUZZ_MIRROR_EXTENSIONS \
	"fileinto imap4flags variables environment copy envelope " \
	"relational subaddress vnd.standby.mirror"
#define FUZZ_MIRROR_PREFIX \
	"require [\"vnd.standby.mirror\", \"variables\", \"environment\", " \
	"\"imap4flags\", \"fileinto\"];\nmirror "

static const char fuzz_mirror_message[] =
	"From: customer@example.org\r\n"
	"To: orders@example.com\r\n"
	"Subject: Order 4711\r\n"
	"Message-ID: <order-4711@example.org>\r\n"
	"Date: Tue, 14 Nov 2023 22:13:20 +0100\r\n"
	"\r\n"
	"Please ship 3 units.\r\n";

static struct {
	const char *dir;
	struct mail_user *user, *raw_user;
	string_t *message;
	struct mail_raw *mail_raw;
	struct sieve_instance *svinst;
	struct sieve_error_handler *ehandler;
	string_t *errors;
	struct ostream *null_output;
} fuzz;

static void fuzz_mirror_init_mail(void)
{
	int fd;

	/* the user only provides settings for the raw mail user; it is
	   never given to Sieve */
	fuzz.user = fuzz_mirror_user_init("fuzz");
	fuzz.raw_user = fuzz_mirror_raw_user_create(fuzz.user);
	fuzz.message = str_new(default_pool, sizeof(fuzz_mirror_message));
	str_append(fuzz.message, fuzz_mirror_message);
	fuzz.mail_raw = mail_raw_open_data(fuzz.raw_user, fuzz.message);

	fd = open("/dev/null", O_WRONLY);
	if (fd == -1)
		i_fatal("open(/dev/null) failed: %m");
	fuzz.null_output = o_stream_create_fd_autoclose(&fd, 0);
	o_stream_set_no_error_handling(fuzz.null_output, TRUE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sieve_environment svenv;
	char cwd[PATH_MAX], config_path[PATH_MAX];

	/* Dovecot reads its settings through doveconf, which executes this
	   program once more with them in the environment (the settings
	   file is given in the environment too, as the master process
	   does: libFuzzer's options are no Dovecot options). A fixed name
	   in the current directory (run-fuzz.sh runs in a temporary one),
	   the same file in both runs. The sanitizers' options must survive
	   the second start. */
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    i_snprintf(config_path, sizeof(config_path),
		       "%s/fuzz-standby-mirror.conf", cwd) < 0)
		i_fatal("getcwd() failed: %m");
	fuzz_standby_write_file(config_path, fuzz_mirror_config,
				strlen(fuzz_mirror_config));
	if (setenv(MASTER_CONFIG_FILE_ENV, config_path, 1) < 0)
		i_fatal("setenv() failed: %m");
	master_service = master_service_init("fuzz-standby-mirror",
					     fuzz_mirror_service_flags,
					     argc, argv, "");
	master_service_init_finish(master_service);
	/* libFuzzer ends the process with exit() */
	lib_set_clean_exit(TRUE);
	fuzz_standby_quiet();
	fuzz_mirror_init_mail();
	fuzz.dir = fuzz_standby_mkdtemp("standby-fuzz-mirror");

	i_zero(&svenv);
	svenv.username = "fuzz";
	svenv.home_dir = fuzz.dir;
	svenv.hostname = "standby.example.com";
	svenv.base_dir = fuzz.dir;
	svenv.temp_dir = fuzz.dir;
	svenv.location = SIEVE_ENV_LOCATION_MDA;
	svenv.delivery_phase = SIEVE_DELIVERY_PHASE_DURING;
	fuzz.svinst = fuzz_mirror_sieve_init(&svenv, fuzz.dir,
					     getenv("FUZZ_VERBOSE") != NULL);
	/* the extension as the plugin registers it, here enabled */
	fuzz_mirror_register(fuzz.svinst, &ext_vnd_standby_mirror);
	sieve_set_extensions(fuzz.svinst, FUZZ_MIRROR_EXTENSIONS);

	fuzz.errors = str_new(default_pool, 1024);
	fuzz.ehandler = sieve_strbuf_ehandler_create(fuzz.svinst, fuzz.errors,
						     FALSE, 10);
	return 0;
}

/* The private directory must stay empty: nothing was queued */
static void fuzz_mirror_check_nothing_queued(void)
{
	struct dirent *d;
	DIR *dir;

	dir = opendir(fuzz.dir);
	if (dir == NULL)
		i_fatal("opendir(%s) failed: %m", fuzz.dir);
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 &&
		    strcmp(d->d_name, "..") != 0)
			i_panic("mirror without a mail user left %s/%s",
				fuzz.dir, d->d_name);
	}
	(void)closedir(dir);
}

static void
fuzz_mirror_execute(struct sieve_binary *sbin, enum sieve_execute_flags flags)
{
	struct sieve_message_data msgdata;
	struct sieve_script_env senv;
	struct sieve_exec_status estatus;
	int ret;

	i_zero(&msgdata);
	msgdata.mail = fuzz.mail_raw->mail;
	msgdata.auth_user = "fuzz";
	msgdata.id = "<order-4711@example.org>";

	/* no mail user (sieve_script_env_init() wants one) */
	i_zero(&senv);
	senv.default_mailbox = "INBOX";
	i_zero(&estatus);
	senv.exec_status = &estatus;

	ret = sieve_execute(sbin, &msgdata, &senv, fuzz.ehandler,
			    fuzz.ehandler, flags);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "executed: %d %s\n", ret, str_c(fuzz.errors));
	fuzz_mirror_check_nothing_queued();
}

static void fuzz_mirror_run(const uint8_t *data, size_t size)
{
	struct sieve_binary_dumper *dumper;
	struct sieve_binary *sbin;
	struct istream *input;
	string_t *text;

	text = t_str_new(size + 256);
	if (size >= 7 && memcmp(data, "require", 7) == 0)
		str_append_data(text, data, size);
	else {
		str_append(text, FUZZ_MIRROR_PREFIX);
		str_append_data(text, data, size);
		str_append(text, ";\n");
	}
	str_truncate(fuzz.errors, 0);
	input = i_stream_create_from_data(str_data(text), str_len(text));
	sbin = fuzz_mirror_compile(fuzz.svinst, input, fuzz.ehandler);
	i_stream_unref(&input);
	if (getenv("FUZZ_VERBOSE") != NULL) {
		fprintf(stderr, "%s: %s", sbin == NULL ? "refused" : "compiled",
			str_c(fuzz.errors));
	}
	if (sbin == NULL)
		return;

	dumper = sieve_binary_dumper_create(sbin);
	(void)sieve_binary_dumper_run(dumper, fuzz.null_output, FALSE);
	sieve_binary_dumper_free(&dumper);

	fuzz_mirror_execute(sbin, 0);
	fuzz_mirror_execute(sbin, SIEVE_EXECUTE_FLAG_NO_ENVELOPE);
	sieve_close(&sbin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	T_BEGIN {
		fuzz_mirror_run(data, size);
	} T_END;
	return 0;
}

#!/bin/bash
# Copyright (c) 2026 dovecot-standby authors, see the included COPYING file
#
# The unit tests (make check) once more, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (and LeakSanitizer at exit), in a copy of the
# source tree: the normal build is not touched. Dovecot's own libraries
# are not instrumented; their memory is still checked where our code uses
# it, and leaks are found wherever they are allocated.
#
#   tests/unit/run-asan.sh
#
# Environment: ASAN_BUILD_DIR keeps the build there (default: a temporary
# directory, removed afterwards); CC (default gcc).
#
# Then runs some integration tests with the plugins and worker of that
# build (ASAN_INTEGRATION=0 skips them).
#
# Prints "ok - asan: PROGRAM" per unit test program (one test each; a
# failing test or any sanitizer report fails it), "ok - asan: TEST" per
# integration test, and "N passed, N failed".

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit
}

tmp=$(mktemp -d /tmp/standby-asan.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
build=${ASAN_BUILD_DIR:-$tmp/build}
mkdir -p "$build"

# the sources as they are (committed or not), without build products
if [ -e "$top/.git" ] && command -v git >/dev/null; then
	(cd "$top" && git ls-files -z -c -o --exclude-standard) |
		(cd "$top" && xargs -0 cp --parents -t "$build")
else
	cp -a "$top/." "$build/"
	[ -f "$build/Makefile" ] && make -C "$build" distclean >/dev/null 2>&1
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
log=$tmp/build.log
start=$(date +%s)
if ! (cd "$build" && ./autogen.sh &&
      ./configure --with-dovecot=/usr/lib/dovecot \
		--with-pigeonhole=/usr/include/dovecot/sieve \
		CC="${CC:-gcc}" \
		CFLAGS="-g -O1 -fno-omit-frame-pointer $san" \
		LDFLAGS="$san" &&
      make -j"$(nproc)") >"$log" 2>&1; then
	not_ok "asan: build" "$(tail -n 40 "$log")"
	finish
fi
echo "# sanitizer build in $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# make check runs every check program through $(RUN_TEST): this wrapper
# records each one's result and lets make go on to the next
results=$tmp/results
: >"$results"
cat >"$tmp/run-test.sh" <<'WRAP'
#!/bin/sh
out=$(mktemp)
"$@" >"$out" 2>&1
rc=$?
cat "$out"
if [ $rc -eq 0 ] && ! grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$out"; then
	echo "ok $(basename "$1")" >>"$RESULTS"
else
	echo "not_ok $(basename "$1") $rc" >>"$RESULTS"
fi
rm -f "$out"
exit 0
WRAP
chmod +x "$tmp/run-test.sh"
RESULTS=$results make -C "$build" check RUN_TEST="$tmp/run-test.sh" \
	>"$tmp/check.log" 2>&1
rc=$?

while read -r status prog code; do
	if [ "$status" = ok ]; then
		ok "asan: $prog"
	else
		not_ok "asan: $prog (exit status $code)" \
			"$(grep -E -A 30 'ERROR: |runtime error:|Assert failed|: FAILED$' "$tmp/check.log" | head -n 60)"
	fi
done <"$results"
if [ $rc -ne 0 ]; then
	not_ok "asan: make check exited with $rc" "$(tail -n 30 "$tmp/check.log")"
elif [ ! -s "$results" ]; then
	not_ok "asan: make check ran no test program"
fi

# Integration tests with this build's plugins and worker in the primary
# (tests/integration/harness.py, SANITIZE_BUILD): incoming and sent mail,
# bad mail, a drain that retries, restore, failback and verify. They need
# the installed build as well (doveadm's plugin, the sieve-scripts).
if [ "${ASAN_INTEGRATION:-1}" != 0 ]; then
	# the mail processes (uid vmail) load the plugins from the build
	chmod 755 "$tmp"
	SANITIZE_BUILD=$build /usr/bin/python3 -u \
		"$top/tests/integration/run.py" \
		-k test_sanitize. -k test_mirror.test_rules_mirror \
		-k test_mirror.test_two_recipients -k test_sent.test_append_to \
		-k test_sent.test_copy_and_move -k test_sent_capture \
		-k test_messages. -k test_valgrind. -k runbook_a -k runbook_b \
		-k test_verify_and_repair -k test_missed_message_deleted \
		-k test_missed_note_left_behind \
		>"$tmp/integration.log" 2>&1
	while read -r line; do
		case "$line" in
		"ok - "*) ok "asan: ${line#ok - }" ;;
		"not ok - "*) not_ok "asan: ${line#not ok - }" \
			"$(grep -A 60 -F "$line" "$tmp/integration.log" |
				tail -n +2 | grep -v -E '^# 20.*(Info|Debug):' |
				head -n 40)" ;;
		esac
	done < <(grep -E '^(not )?ok - ' "$tmp/integration.log")
	if ! grep -q -E '^[0-9]+ passed, 0 failed$' "$tmp/integration.log" &&
	   ! grep -q '^not ok - ' "$tmp/integration.log"; then
		not_ok "asan: integration run did not finish" \
			"$(tail -n 30 "$tmp/integration.log")"
	fi
fi
finish

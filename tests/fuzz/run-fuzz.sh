#!/bin/bash
# Copyright (c) 2026 dovecot-standby authors, see the included COPYING file
#
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan, the
# project's sources compiled into each target, Dovecot's and Pigeonhole's
# installed libraries linked) and runs each for a while, starting from its
# seed corpus tests/fuzz/corpus/<target>/ (which it never changes).
#
#   tests/fuzz/run-fuzz.sh [TARGET...]      (default: all)
#   tests/fuzz/run-fuzz.sh --replay FILE...
#
# --replay runs each FILE once through its target (named by the file:
# "<target>-crash-…" as kept in /tmp/standby-fuzz-crashes/, or a file in
# corpus/<target>/), with the project's log lines shown; "ok" if the
# input passes now.
#
# Environment:
#   FUZZ_SECONDS    run time per target (default 60)
#   FUZZ_BUILD_DIR  keep the build here (default: a temporary directory)
#   FUZZ_KEEP=DIR   copy each target's new corpus entries to DIR/<target>
#
# Prints "ok - fuzz TARGET: N executions in S s" per target (one test
# each) and "N passed, N failed". A crash, leak, UBSan report or hang
# fails the target; its input is kept in /tmp/standby-fuzz-crashes/ (add
# it to the target's corpus as a regression seed once fixed).

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
crash_dir=/tmp/standby-fuzz-crashes
targets_all="entry imap settings mirror missed"
replay=()
if [ "${1:-}" = "--replay" ]; then
	shift
	replay=("$@")
	if [ ${#replay[@]} -eq 0 ]; then
		echo "usage: $0 --replay FILE..." >&2
		exit 2
	fi
fi

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
	[ "$failed" -eq 0 ]
	exit
}

is_target() {
	case " $targets_all " in
	*" $1 "*) return 0 ;;
	*) return 1 ;;
	esac
}

# the target that FILE is an input of
replay_target() {
	local name t
	name=$(basename "$1")
	t=${name%%-*}
	if [ "$t" != "$name" ] && is_target "$t"; then
		echo "$t"
	elif is_target "$(basename "$(dirname "$1")")"; then
		basename "$(dirname "$1")"
	else
		return 1
	fi
}

if [ ${#replay[@]} -gt 0 ]; then
	targets=""
	for f in "${replay[@]}"; do
		if [ ! -f "$f" ]; then
			echo "no such file: $f" >&2
			exit 2
		fi
		if ! t=$(replay_target "$f"); then
			echo "$f: which target? (name it TARGET-..., or put it" \
			     "in corpus/TARGET/; targets: $targets_all)" >&2
			exit 2
		fi
		case " $targets " in
		*" $t "*) ;;
		*) targets="$targets $t" ;;
		esac
	done
else
	targets=${*:-$targets_all}
fi
for t in $targets; do
	if ! is_target "$t"; then
		echo "unknown target: $t (targets: $targets_all)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d /tmp/standby-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
build=${FUZZ_BUILD_DIR:-$tmp/build}
mkdir -p "$build/obj"

CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer $SAN -std=gnu99 -Wall -W
 -Wmissing-prototypes -Wmissing-declarations -Wpointer-arith
 -Wchar-subscripts -Wformat=2 -Wbad-function-cast -Wno-unused-parameter
 -Wno-duplicate-decl-specifier -Wno-format-nonliteral"
INCLUDES="-DHAVE_CONFIG_H -I$build -I$top/src/lib-standby -I$top/src/sieve
 -I$top/src/plugin -I$here
 -I/usr/include/dovecot -I/usr/include/dovecot/sieve"
LIBS="-L/usr/lib/dovecot -Wl,-rpath,/usr/lib/dovecot
 -ldovecot-sieve -ldovecot-storage -ldovecot"

# the core and the Sieve plugin as built for the host's Dovecot 2.3:
# leave out the 2.4 glue
lib_sources=$(cd "$top" && ls src/lib-standby/*.c | grep -v -e '-dc24\.c$')
sieve_sources=$(cd "$top" && ls src/sieve/*.c | grep -v -e '-dc24\.c$')

# compile SOURCE: object path on stdout, compiler output in the log
compile() {
	local src=$1 obj
	obj=$build/obj/$(echo "$src" | tr '/' '_').o
	if [ ! -f "$obj" ] || [ "$top/$src" -nt "$obj" ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS -fsanitize=fuzzer-no-link $INCLUDES \
			-c "$top/$src" -o "$obj" >>"$build/build.log" 2>&1 ||
			return 1
	fi
	echo "$obj"
}

build_all() {
	local version objs="" src obj glue t
	: >"$build/build.log"
	version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' \
		"$top/configure.ac")
	sed "s/@PACKAGE_VERSION@/$version/" \
		"$top/src/lib-standby/standby-version.h.in" \
		>"$build/standby-version.h"
	for src in $lib_sources $sieve_sources \
			tests/fuzz/fuzz-standby-common.c; do
		obj=$(compile "$src") || return 1
		objs="$objs $obj"
	done
	for t in $targets; do
		obj=$(compile "tests/fuzz/fuzz-standby-$t.c") || return 1
		# the target's part that differs between the majors (2.3)
		if [ -f "$top/tests/fuzz/fuzz-standby-$t-dc23.c" ]; then
			glue=$(compile "tests/fuzz/fuzz-standby-$t-dc23.c") ||
				return 1
			obj="$obj $glue"
		fi
		# shellcheck disable=SC2086
		$CC $CFLAGS -fsanitize=fuzzer -o "$build/fuzz-standby-$t" \
			$obj $objs $LIBS >>"$build/build.log" 2>&1 ||
			return 1
	done
}

if ! command -v "$CC" >/dev/null; then
	not_ok "fuzz: $CC is installed"
	finish
fi
start=$(date +%s)
if ! build_all; then
	not_ok "fuzz: build" "$(tail -n 40 "$build/build.log")"
	finish
fi
warnings=$(grep -E 'warning:' "$build/build.log" | sort -u)
if [ -n "$warnings" ]; then
	echo "# compiler warnings:"
	printf '%s\n' "$warnings" | sed 's/^/#   /'
fi
echo "# fuzz targets built in $(( $(date +%s) - start )) s"

# Leaks: libFuzzer checks every input that allocates more than it frees,
# LeakSanitizer the whole run at exit. allocator_may_return_null: a huge
# size in an input is not a crash where the code checks for it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ ${#replay[@]} -gt 0 ]; then
	for f in "${replay[@]}"; do
		t=$(replay_target "$f")
		abs=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
		log=$tmp/replay.log
		# in $tmp: the mirror target writes a file into its cwd
		(cd "$tmp" && FUZZ_VERBOSE=1 "$build/fuzz-standby-$t" \
			-timeout=10 -rss_limit_mb=2048 "$abs") >"$log" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			ok "fuzz $t: $f passes"
		else
			not_ok "fuzz $t: $f: exit status $rc" \
				"$(grep -v -E '^(INFO|MERGE)' "$log" | tail -n 60)"
		fi
	done
	finish
fi

for t in $targets; do
	seeds=$here/corpus/$t
	work=$tmp/corpus-$t
	mkdir -p "$work" "$tmp/artifacts-$t"
	log=$tmp/fuzz-$t.log
	(cd "$tmp" && "$build/fuzz-standby-$t" \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$tmp/artifacts-$t/" \
		"$work" "$seeds") >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	if [ -n "${FUZZ_KEEP:-}" ]; then
		mkdir -p "$FUZZ_KEEP/$t"
		cp "$work"/* "$FUZZ_KEEP/$t/" 2>/dev/null
	fi
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		ok "fuzz $t: ${runs} executions in ${elapsed:-$seconds} s ($(ls "$work" | wc -l) new corpus entries)"
		continue
	fi
	mkdir -p "$crash_dir"
	kept=""
	for f in "$tmp/artifacts-$t"/*; do
		[ -f "$f" ] || continue
		cp "$f" "$crash_dir/$t-$(basename "$f")"
		kept="$kept $crash_dir/$t-$(basename "$f")"
	done
	not_ok "fuzz $t: exit status $rc after ${runs:-?} executions" \
		"input kept:${kept:- none}
$(grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse|INITED)|^(INFO|MERGE)' "$log" | tail -n 60)"
done
finish

#!/bin/bash
# Copyright (c) 2026 dovecot-standby authors, see the included COPYING file
#
# Sieve tests of vnd.standby.mirror, run with Pigeonhole's own tools
# (sievec, sieve-dump, sieve-test) loading the built plugin with -P.
#
#   tests/sieve/run-sieve-tests.sh [BUILD_DIR]      (default: ../.. of here)
#
#   good/*.sieve   must compile
#   bad/*.sieve    must fail; line 1 "# expect: <text>" names the error
#   dump/*.sieve   sieve-dump of the main program == dump/*.dump
#   exec/*.sieve   sieve-test output == exec/*.out (mail: exec/*.mail,
#                  else mail/order.eml); semantic checks below
#
# UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
# As root the tools run as $SIEVE_TEST_USER (default nobody): sieve-test
# refuses to run as root without mail_uid.

set -u

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../..}" && pwd)
so="$build/src/sieve/.libs/lib90_sieve_standby_plugin.so"
update=${UPDATE_GOLDEN:-0}

passed=0
failed=0

ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}

not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | head -n 30 | sed 's/^/#   /'
	fi
}

check() {
	# check NAME COMMAND...: ok when COMMAND succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if [ ! -f "$so" ]; then
	not_ok "plugin is built ($so)"
	finish
fi

tmp=$(mktemp -d /tmp/standby-sieve-tests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The Dovecot major the plugin is built for: its configuration syntax
major=$(sed -n 's/^STANDBY_DOVECOT_MAJOR = //p' "$build/Makefile" 2>/dev/null)
[ -n "$major" ] || major=$(dovecot --version | cut -d. -f1,2)

# conf FILE: write stdin (2.3 syntax: a plugin {} block with standby_*
# settings and the Sieve locations `sieve' and `sieve_global') as a
# configuration file for this major
conf() {
	if [ "$major" = 2.3 ]; then
		cat > "$1"
		return
	fi
	# 2.4: the versions first, the settings at the top level, the Sieve
	# locations as sieve_script blocks
	{
		echo "dovecot_config_version = 2.4.1"
		echo "dovecot_storage_version = 2.4.1"
		awk '
		/^plugin \{$/ || /^\}$/ { next }
		{ sub(/^ +/, "") }
		/^sieve = / {
			n = split(substr($0, 9), p, ";")
			sub(/^file:/, "", p[1])
			print "sieve_script personal {"
			print "  driver = file"
			print "  path = " p[1]
			for (i = 2; i <= n; i++)
				if (sub(/^active=/, "", p[i]))
					print "  active_path = " p[i]
			print "}"
			next
		}
		/^sieve_global = / {
			print "sieve_script global {"
			print "  type = global"
			print "  driver = file"
			print "  path = " substr($0, 16)
			print "}"
			next
		}
		{ print }'
		# the mail sieve-test delivers to (2.3: -l)
		echo "mail_driver = maildir"
		echo "mail_path = $tmp/maildir"
	} > "$1"
}
# the mail sieve-test delivers to (2.4: in the configuration)
mail_args=()
[ "$major" != 2.3 ] || mail_args=(-l "maildir:$tmp/maildir")

mkdir "$tmp/plugins" "$tmp/gen" "$tmp/maildir"
cp "$so" "$tmp/plugins/"
cp -r "$here/good" "$here/bad" "$here/dump" "$here/exec" "$here/mail" "$tmp/"
conf "$tmp/dovecot.conf" < /dev/null
conf "$tmp/standby.conf" <<EOF
plugin {
  standby_host = 127.0.0.1
  standby_ssl = no
  standby_user = mirror
  standby_password = secret
  standby_state_dir = $tmp/state
}
EOF

if [ "$(id -u)" -eq 0 ]; then
	run_user=${SIEVE_TEST_USER:-nobody}
	chown -R "$run_user" "$tmp"
	as_user() { runuser -u "$run_user" -- env HOME="$tmp" "$@"; }
else
	as_user() { env HOME="$tmp" "$@"; }
fi
chmod -R a+rX "$tmp"

plugin_args=(-P "$tmp/plugins/sieve_standby" -x "+vnd.standby.mirror")

sievec_() { as_user sievec -c "$tmp/dovecot.conf" "${plugin_args[@]}" "$@"; }
sieve_dump_() {
	as_user sieve-dump -c "$tmp/dovecot.conf" "${plugin_args[@]}" "$@"
}
sieve_test_() {
	local conf=$1
	shift
	as_user sieve-test -c "$conf" "${plugin_args[@]}" "$@"
}

# -- the plugin itself ------------------------------------------------------

exports=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')
expected="sieve_standby_plugin_deinit sieve_standby_plugin_init "
expected+="sieve_standby_plugin_load sieve_standby_plugin_unload "
expected+="sieve_standby_plugin_version "
if [ "$exports" = "$expected" ]; then
	ok "plugin exports only Pigeonhole's entry points"
else
	not_ok "plugin exports only Pigeonhole's entry points" "$exports"
fi
# The mail plugin: Dovecot's entry points and the sent-mail capture the
# action looks up by name (src/plugin/standby-sent-capture.h), not the core
mail_so="$build/src/plugin/.libs/lib20_standby_plugin.so"
exports=$(nm -D --defined-only "$mail_so" | awk '{print $3}' | sort |
	  tr '\n' ' ')
expected="standby_plugin_deinit standby_plugin_init standby_plugin_version "
expected+="standby_sent_capture_get "
if [ "$exports" = "$expected" ]; then
	ok "mail plugin exports only its entry points and the capture"
else
	not_ok "mail plugin exports only its entry points and the capture" \
		"$exports"
fi

out=$(as_user sievec -c "$tmp/dovecot.conf" -P "$tmp/plugins/sieve_standby" \
	"$tmp/good/minimal.sieve" "$tmp/gen/x.svbin" 2>&1)
# (2.4 quotes the name with ' ')
if [ $? -ne 0 ] && grep -qE "unknown Sieve capability [\`']vnd.standby.mirror'" <<< "$out"; then
	ok "extension is off unless enabled (load=FALSE)"
else
	not_ok "extension is off unless enabled (load=FALSE)" "$out"
fi

# -- compile: good scripts ----------------------------------------------------

compile_good() {
	local script=$1 name=$2 out
	out=$(sievec_ "$script" "$tmp/gen/$(basename "$script" .sieve).svbin" 2>&1)
	if [ $? -eq 0 ]; then
		ok "compiles: $name"
	else
		not_ok "compiles: $name" "$out"
	fi
}

compile_bad() {
	local script=$1 name=$2 expect=$3 out
	out=$(sievec_ "$script" "$tmp/gen/bad.svbin" 2>&1)
	if [ $? -eq 0 ]; then
		not_ok "refused: $name (compiled)"
	elif grep -qF -- "$expect" <<< "$out"; then
		ok "refused: $name"
	else
		not_ok "refused: $name (expected: $expect)" "$out"
	fi
}

for script in "$tmp"/good/*.sieve; do
	compile_good "$script" "$(basename "$script")"
done

# generated: names that are awkward to keep in a file
long=$(printf 'a%.0s' $(seq 1 1024))
printf 'require "vnd.standby.mirror";\nmirror :mailbox "%s";\n' "$long" \
	> "$tmp/gen/long-1024.sieve"
compile_good "$tmp/gen/long-1024.sieve" "folder name of 1024 bytes"

# -- the shipped scripts (sieve-scripts/) ------------------------------------

# Compiled as the running setup does: a personal storage (`sieve') and a
# sieve_global directory holding standby-default.sieve, so that the wiring
# script's includes resolve. The personal directory does not exist yet:
# compiling the wiring script must create it (a user who never used
# ManageSieve has none).
mkdir -p "$tmp/shipped" "$tmp/global" "$tmp/home"
cp "$here/../../sieve-scripts/"*.sieve "$tmp/shipped/"
cp "$tmp/shipped/standby-default.sieve" "$tmp/global/"
printf 'plugin {\n  sieve = file:%s/home/sieve;active=%s/home/.dovecot.sieve\n  sieve_global = %s/global\n}\n' \
	"$tmp" "$tmp" "$tmp" | conf "$tmp/wiring.conf"
# 2.4's sievec, given a script FILE, puts it in a storage of its own that
# replaces the configured sieve_script list (sieve_tool_script_compile() in
# Pigeonhole's lib-sieve-tool: a command-line override of `sieve_script'), so
# the personal and global storages would be gone. Given the NAME of a
# configured storage it compiles that one and keeps the others: on 2.4 the
# wiring script is a configured before script, as the running setup has it.
wiring_name=""
if [ "$major" != 2.3 ]; then
	printf 'sieve_script wiring {\n  type = before\n  driver = file\n  path = %s\n}\n' \
		"$tmp/shipped/standby-wiring.sieve" >> "$tmp/wiring.conf"
	wiring_name=wiring
fi
chown -R --reference="$tmp/gen" "$tmp/shipped" "$tmp/global" "$tmp/home"
chmod -R a+rX "$tmp/shipped" "$tmp/global" "$tmp/wiring.conf"
for script in "$tmp"/shipped/*.sieve; do
	name=$(basename "$script")
	src=$script
	if [ "$name" = standby-wiring.sieve ] && [ -n "$wiring_name" ]; then
		src=$wiring_name
	fi
	out=$(as_user sievec -c "$tmp/wiring.conf" "${plugin_args[@]}" \
		"$src" "$tmp/gen/shipped-${name%.sieve}.svbin" 2>&1)
	if [ $? -eq 0 ]; then
		ok "sieve-scripts/$name compiles"
	else
		not_ok "sieve-scripts/$name compiles" "$out"
	fi
done
check "compiling the wiring script creates the personal storage" \
	test -d "$tmp/home/sieve"
# the wiring script included the default rules (there is no "standby")
out=$(as_user sieve-dump -c "$tmp/wiring.conf" "${plugin_args[@]}" \
	"$tmp/gen/shipped-standby-wiring.svbin" 2>&1)
check "wiring script includes the global standby-default" \
	grep -q "Included global script 'standby-default'" <<< "$out"

# -- compile: bad scripts -----------------------------------------------------

for script in "$tmp"/bad/*.sieve; do
	expect=$(sed -n '1s/^# expect: //p' "$script")
	compile_bad "$script" "$(basename "$script")" "$expect"
done

printf 'require "vnd.standby.mirror";\nmirror :mailbox "%s";\n' "${long}b" \
	> "$tmp/gen/long-1025.sieve"
compile_bad "$tmp/gen/long-1025.sieve" "folder name of 1025 bytes" \
	"folder name is too long (1025 bytes, max 1024)"
printf 'require "vnd.standby.mirror";\nmirror :mailbox "Or\tders";\n' \
	> "$tmp/gen/control.sieve"
compile_bad "$tmp/gen/control.sieve" "control character in folder" \
	"folder name contains a control character"
printf 'require "vnd.standby.mirror";\nmirror :flags "Or\tder";\n' \
	> "$tmp/gen/control-flag.sieve"
compile_bad "$tmp/gen/control-flag.sieve" "control character in flag" \
	"flag contains a control character"
printf 'require "vnd.standby.mirror";\nmirror :mailbox "Caf\xe9";\n' \
	> "$tmp/gen/latin1.sieve"
compile_bad "$tmp/gen/latin1.sieve" "folder name not UTF-8" \
	"not valid UTF-8"

# More bytes that cannot be kept in a file: NAME, printf format of the
# :mailbox value, expected error.
while IFS='|' read -r name value expect; do
	printf 'require "vnd.standby.mirror";\nmirror :mailbox "%b";\n' \
		"$value" > "$tmp/gen/$name.sieve"
	compile_bad "$tmp/gen/$name.sieve" "$name" "$expect"
done <<'EOF'
folder-nul|Or\x00ders|encountered NUL character in quoted string
folder-cr|Or\rders|found stray carriage-return (CR) character in quoted string
folder-lf|Or\nders|folder name contains a control character
folder-del|Or\x7fders|folder name contains a control character
folder-esc|\x1b[31mOrders|folder name contains a control character
folder-c1-nel|Or\xc2\x85ders|folder name contains a control character
folder-c1-csi|\xc2\x9b31mOrders|folder name contains a control character
folder-utf8-overlong-slash|Orders\xc0\xaf..|folder name is not valid UTF-8
folder-utf8-surrogate|Or\xed\xa0\x80ders|folder name is not valid UTF-8
folder-utf8-truncated|Orders\xc3|folder name is not valid UTF-8
folder-utf8-ff|Or\xffders|folder name is not valid UTF-8
folder-utf8-5byte|Or\xf8\x88\x80\x80\x80ders|folder name is not valid UTF-8
EOF
huge=$(head -c 100000 /dev/zero | tr '\0' x)
printf 'require "vnd.standby.mirror";\nmirror :mailbox "%s";\n' "$huge" \
	> "$tmp/gen/huge.sieve"
compile_bad "$tmp/gen/huge.sieve" "folder name of 100000 bytes" \
	"folder name is too long (100000 bytes, max 1024)"
printf 'require "vnd.standby.mirror";\nmirror :mailbox "%s";\n' \
	"$(head -c 1100000 /dev/zero | tr '\0' x)" > "$tmp/gen/too-large.sieve"
compile_bad "$tmp/gen/too-large.sieve" "folder name beyond the script size limit" \
	"sieve script is too large"
printf 'require "vnd.standby.mirror";\nmirror :flags "%s";\n' \
	"${huge:0:256}" > "$tmp/gen/keyword-256.sieve"
compile_bad "$tmp/gen/keyword-256.sieve" "keyword of 256 bytes" \
	"keyword is too long (256 bytes, max 255)"

# -- sieve-dump golden files --------------------------------------------------

for script in "$tmp"/dump/*.sieve; do
	name=$(basename "$script" .sieve)
	golden="$here/dump/$name.dump"
	if ! out=$(sievec_ "$script" "$tmp/gen/$name.svbin" 2>&1); then
		not_ok "dump: $name (compile)" "$out"
		continue
	fi
	dump=$(sieve_dump_ "$tmp/gen/$name.svbin" 2>&1 |
	       sed -n '/^\* Main program/,$p')
	if [ "$update" = 1 ]; then
		printf '%s\n' "$dump" > "$golden"
	fi
	if [ ! -f "$golden" ]; then
		not_ok "dump: $name (no golden file $golden)"
	elif diff_out=$(diff -u "$golden" - <<< "$dump"); then
		ok "dump: $name"
	else
		not_ok "dump: $name" "$diff_out"
	fi
done

# -- sieve-test golden output -------------------------------------------------

declare -A exec_out exec_err
for script in "$tmp"/exec/*.sieve; do
	name=$(basename "$script" .sieve)
	mail="$tmp/mail/order.eml"
	if [ -f "$tmp/exec/$name.mail" ]; then
		mail="$tmp/mail/$(cat "$tmp/exec/$name.mail")"
	fi
	golden="$here/exec/$name.out"
	out=$(sieve_test_ "$tmp/dovecot.conf" "${mail_args[@]}" \
		"$script" "$mail" 2>"$tmp/gen/$name.err")
	rc=$?
	exec_out[$name]=$out
	exec_err[$name]=$(cat "$tmp/gen/$name.err")
	if [ $rc -ne 0 ]; then
		not_ok "sieve-test: $name (exit $rc)" "${exec_err[$name]}"
		continue
	fi
	if [ "$update" = 1 ]; then
		printf '%s\n' "$out" > "$golden"
	fi
	if [ ! -f "$golden" ]; then
		not_ok "sieve-test: $name (no golden file $golden)"
	elif diff_out=$(diff -u "$golden" - <<< "$out"); then
		ok "sieve-test: $name"
	else
		not_ok "sieve-test: $name" "$diff_out"
	fi
done

# Semantic checks on the same outputs, so that a careless golden update
# cannot hide a broken rule.
implicit_keep() {
	# the "Implicit keep:" section of sieve-test's output
	sed -n '/^Implicit keep:/,$p' <<< "${exec_out[$1]}"
}
performed() {
	sed -n '/^Performed actions:/,/^Implicit keep:/p' <<< "${exec_out[$1]}"
}
count_mirrors() {
	performed "$1" | grep -c '\* mirror message to'
}

check "mirror alone keeps the implicit keep" \
	grep -q 'store message in folder: INBOX' <<< "$(implicit_keep mirror-alone)"
check "mirror alone: one mirror to the default folder" \
	grep -qF "* mirror message to the standby's default folder" \
	<<< "$(performed mirror-alone)"
check "fileinto + mirror: both performed" \
	bash -c 'grep -q "store message in folder: Orders" <<< "$1" &&
		 grep -qF "mirror message to standby folder \`Orders'"'"'" <<< "$1"' \
	_ "$(performed fileinto-mirror)"
check "fileinto + mirror: no implicit keep" \
	grep -q '(none)' <<< "$(implicit_keep fileinto-mirror)"
n=$(count_mirrors duplicates)
check "duplicate mirrors collapse (3 folders -> 3 copies, got $n)" test "$n" -eq 3
check "duplicate mirrors merge flags" \
	grep -qF 'with flags: \Seen $Order' <<< "$(performed duplicates)"
check "direction item is incoming in sieve-test" \
	grep -qF "standby folder \`Direction/incoming'" <<< "$(performed direction)"
check "discard + mirror: copy kept, no implicit keep" \
	bash -c 'grep -q "mirror message to standby folder" <<< "$1" &&
		 grep -q "(none)" <<< "$2"' \
	_ "$(performed discard-mirror)" "$(implicit_keep discard-mirror)"
n=$(count_mirrors no-match)
check "irrelevant mail is not mirrored (got $n)" \
	bash -c '[ "$1" -eq 0 ] && grep -q "^Performed actions:" <<< "$2"' \
	_ "$n" "${exec_out[no-match]}"
check "runtime: invalid folder from variables warns" \
	grep -qF 'invalid :mailbox "../etc"' <<< "${exec_err[variables-invalid]}"
check "runtime: invalid flag from variables warns" \
	grep -qF 'ignoring invalid :flags item "bad flag"' \
	<<< "${exec_err[variables-invalid]}"
check "runtime: invalid folder falls back to the default folder" \
	grep -qF "mirror message to the standby's default folder" \
	<<< "$(performed variables-invalid)"
check "runtime: folder from variables" \
	grep -qF "standby folder \`Orders/4711'" <<< "$(performed variables-valid)"

# -- executing: the queue -----------------------------------------------------

# Without standby settings nothing is queued and delivery is untouched.
out=$(sieve_test_ "$tmp/dovecot.conf" -e "${mail_args[@]}" \
	"$tmp/exec/duplicates.sieve" "$tmp/mail/order.eml" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$tmp/state" ] &&
   grep -q "stored mail into mailbox 'INBOX'" <<< "$out"; then
	ok "execute without standby settings: nothing queued, mail kept"
else
	not_ok "execute without standby settings: nothing queued, mail kept" \
		"$out"
fi

# With settings: one entry per folder, written only at commit.
out=$(sieve_test_ "$tmp/standby.conf" -e "${mail_args[@]}" \
	"$tmp/exec/duplicates.sieve" "$tmp/mail/order.eml" 2>&1)
rc=$?
entries=$(find "$tmp/state/queue" -type f 2>/dev/null | wc -l)
if [ $rc -eq 0 ] && [ "$entries" -eq 3 ]; then
	ok "execute: duplicates.sieve queues 3 entries"
else
	not_ok "execute: duplicates.sieve queues 3 entries (exit $rc, $entries)" \
		"$out"
fi
check "execute: implicit keep still stores into INBOX" \
	grep -q "stored mail into mailbox 'INBOX'" <<< "$out"
check "execute: queued entries logged" \
	grep -q "standby: Queued message for standby folder \`Orders'" <<< "$out"
headers=$(cat "$tmp"/state/queue/* 2>/dev/null | grep -a -E '^(mailbox|flags|direction)=' | sort)
check "execute: entry for Orders carries the merged flags" \
	grep -qxF 'flags=\Seen $Order' <<< "$headers"
check "execute: entries name their folders" \
	bash -c '[ "$(grep -c -x -e "mailbox=Orders" -e "mailbox=Quotes" -e "mailbox=" <<< "$1")" -eq 3 ]' \
	_ "$headers"
check "execute: direction incoming" \
	bash -c '[ "$(grep -c -x "direction=incoming" <<< "$1")" -eq 3 ]' \
	_ "$headers"

# A queue that cannot be written: logged and counted, delivery unharmed.
rm -rf "$tmp/state"
mkdir -p "$tmp/state"
: > "$tmp/state/queue"
chown -R --reference="$tmp/gen" "$tmp/state"
out=$(sieve_test_ "$tmp/standby.conf" -e "${mail_args[@]}" \
	"$tmp/exec/mirror-alone.sieve" "$tmp/mail/order.eml" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "stored mail into mailbox 'INBOX'" <<< "$out" &&
   grep -q "standby: Failed to queue message for the standby (noted to be queued again later): " <<< "$out"
then
	ok "execute: queue write failure is logged, mail still kept"
else
	not_ok "execute: queue write failure is logged, mail still kept" "$out"
fi
check "execute: queue write failure is counted in the status" \
	grep -qx "queue_write_failures=1" "$tmp/state/status"
check "execute: the message is noted in the missed list" \
	bash -c '[ "$(tr -d "\\000" < "$1" | grep -c -E "^1	[0-9a-f]{16}-[0-9a-f]{32}	[0-9]+	[0-9a-f]{64}	[0-9]+	-?[0-9]+	incoming	[0-9]+	")" -eq 1 ]' \
	_ "$tmp/state/missed"

# -- the README's examples --------------------------------------------------
# Every ```sieve block of README.md compiles with the plugin, and the
# Dovecot configuration blocks (the minimal setup, the sent-mail block, the
# metric block) are accepted by doveconf together.
readme="$here/../../README.md"
mkdir -p "$tmp/readme"
python3 - "$readme" "$tmp/readme" "$major" <<'PYEOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
# the blocks for this major, or for any
langs = ("", "dovecot-" + sys.argv[3])
blocks = re.findall(r"^```([\w.-]*)\n(.*?)^```", text, re.M | re.S)
n = 0
conf = []
for lang, body in blocks:
    if lang == "sieve":
        n += 1
        open("%s/example%d.sieve" % (sys.argv[2], n), "w",
             encoding="utf-8").write(body)
    elif lang in langs and (body.startswith("# /etc/dovecot/") or
                         body.startswith("protocol imap {") or
                         body.startswith("metric ") or
                         body.startswith("service stats {")):
        conf.append(body)
open(sys.argv[2] + "/readme.conf", "w").write("\n".join(conf))
PYEOF
chown -R --reference="$tmp/gen" "$tmp/readme"
sieve_examples=$(ls "$tmp/readme"/example*.sieve 2>/dev/null | wc -l)
check "README: has Sieve examples" [ "$sieve_examples" -ge 2 ]
for script in "$tmp/readme"/example*.sieve; do
	[ -f "$script" ] || continue
	if out=$(sievec_ "$script" "$tmp/gen/readme.svbin" 2>&1); then
		ok "README: Sieve example $(basename "$script") compiles"
	else
		not_ok "README: Sieve example $(basename "$script") compiles" \
			"$out"
	fi
done
check "README: has the minimal, sent-mail and metric config blocks" \
	[ "$(grep -c -e '^# /etc/dovecot/' -e '^protocol imap {' \
		-e '^metric ' "$tmp/readme/readme.conf")" -ge 4 ]
if [ "$major" != 2.3 ]; then
	# 2.4: the README's blocks are conf.d files; the versions come first
	printf 'dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n' |
		cat - "$tmp/readme/readme.conf" > "$tmp/readme/readme24.conf"
	mv "$tmp/readme/readme24.conf" "$tmp/readme/readme.conf"
fi
if out=$(doveconf -c "$tmp/readme/readme.conf" -n 2>&1); then
	ok "README: doveconf accepts the configuration examples"
else
	not_ok "README: doveconf accepts the configuration examples" "$out"
fi

finish

#!/bin/bash
# Copyright (c) 2026 dovecot-standby authors, see the included COPYING file
#
# Package test: build the Debian package from this tree, check it, install
# it, mirror one message through the installed files, remove it again.
#
#   tests/package/test-package.sh [--build-only]
#
# Run as root on Debian 12 (Dovecot 2.3) or 13 (Dovecot 2.4; scripts/test
# runs it in its Debian 13 root). Steps:
#  1. copy the tree (tracked and untracked, not ignored files) to a temp
#     dir and build there with dpkg-buildpackage -us -uc -b (installs
#     missing build dependencies with apt-get); the tree stays untouched
#  2. dpkg -c: exactly the expected files (sieve-scripts/* as found in the
#     tree; on 2.4 the settings module), no .la; the conffile (the
#     90-standby.conf of the installed Dovecot's major); Depends:
#     dovecot-abi-<ABI of /usr/share/dovecot/dovecot-abi>, dovecot-core,
#     dovecot-sieve
#  3. lintian on the .changes (which covers the .deb): no errors
#  4. the shipped 90-standby.conf changes nothing (doveconf -n with and
#     without it is the same)
#  5. dpkg -i (apt-get -f install for missing dependencies); a private
#     primary and standby Dovecot (own base_dir, ports, users; /etc/dovecot
#     is not touched) whose config !includes a copy of the INSTALLED
#     /etc/dovecot/conf.d/90-standby.conf with its settings uncommented;
#     one message delivered over LMTP for a user whose "standby" rules
#     mirror it must arrive in the standby's Orders folder;
#     doveadm standby status (the installed doveadm plugin) counts it
#  6. always, at the end: the private instances are stopped, the package
#     is removed again (purged when it brought the conffile), and when
#     this tree has a configured build, `make -C TREE install` puts the
#     development build back into /usr/lib/dovecot for the other tests
#     (without one, the files the package overwrote are put back).
#
# --build-only stops after step 4 (nothing is installed).
# Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed"; exits
# non-zero on any failure. KEEP=1 keeps the temp dir (/tmp/dsb-pkgtest-*).

set -u
set -o pipefail

TREE=$(cd "$(dirname "$0")/../.." && pwd)
PKG=dovecot-standby
CONFFILE=/etc/dovecot/conf.d/90-standby.conf
ABI_FILE=/usr/share/dovecot/dovecot-abi
VMAIL_UID=5000
VMAIL_GID=5000
# the Dovecot major installed here: 2.3 or 2.4 (the configs below differ)
MAJOR=$(dovecot --version 2>/dev/null | cut -d. -f1,2)

build_only=0
case "${1:-}" in
--build-only) build_only=1 ;;
"") ;;
*) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | tail -n 30 | sed 's/^/#   /'
	fi
}
note() { echo "# $*"; }
check() {	# description command...: ok when the command succeeds
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "$out"; fi
}

WORK=
installed_by_us=0
purge=0
pids=()

cleanup() {
	local pid out
	for pid in "${pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.2
			done
		fi
	done
	pids=()
	if [ $installed_by_us -eq 1 ]; then
		installed_by_us=0
		local how=-r
		[ $purge -eq 1 ] && how=-P
		if out=$(dpkg $how $PKG 2>&1) && ! pkg_installed; then
			ok "package removed again (dpkg $how $PKG)"
		else
			not_ok "package removed again" "$out"
		fi
		# Give the other tests their development build back.
		if [ -f "$TREE/Makefile" ] && [ -f "$TREE/config.status" ]; then
			note "reinstalling the development build: make -C $TREE install"
			if out=$(make -C "$TREE" install 2>&1); then
				ok "development build reinstalled (make install)"
			else
				not_ok "development build reinstalled (make install)" "$out"
			fi
		elif [ -d "$WORK/backup" ]; then
			# No build here: put back the files the package replaced.
			if out=$(cp -a "$WORK/backup/." / 2>&1); then
				ok "restored the $(find "$WORK/backup" -type f | wc -l) files the package replaced"
			else
				not_ok "restore the files the package replaced" "$out"
			fi
		fi
	fi
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-0}" != 0 ]; then
			note "kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}

finish() {
	cleanup
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ] && [ $passed -gt 0 ]
	exit $?
}
trap 'not_ok "interrupted"; finish' INT TERM

pkg_installed() {
	dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q "install ok installed"
}

if [ "$(id -u)" -ne 0 ]; then
	not_ok "must run as root (installs packages)"
	finish
fi
if [ ! -f "$TREE/debian/control" ]; then
	not_ok "no debian/ in $TREE"
	finish
fi

WORK=$(mktemp -d /tmp/dsb-pkgtest-XXXXXX)
chmod 755 "$WORK"	# auth (user dovecot) reads the passwd-files below

# ------------------------------------------------------------ 1. build
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in dpkg-dev debhelper lintian python3 openssl; do
	dpkg-query -W -f='${Status}' $p 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	note "installing:$missing"
	# shellcheck disable=SC2086 # a list of package names
	apt-get install -y -q --no-install-recommends $missing >"$WORK/apt.log" 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  apt-get install -y -q --no-install-recommends $missing \
			>"$WORK/apt.log" 2>&1; } ||
		{ not_ok "install packaging tools" "$(cat "$WORK/apt.log")"; finish; }
fi

mkdir "$WORK/src"
note "copying $TREE to $WORK/src"
if git -C "$TREE" rev-parse --git-dir >/dev/null 2>&1; then
	# Tracked and untracked files, not what .gitignore ignores (build
	# products of an in-tree build).
	(cd "$TREE" && git ls-files -z -c -o --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -f "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
else
	cp -a "$TREE/." "$WORK/src/" &&
		{ [ ! -f "$WORK/src/Makefile" ] ||
		  make -C "$WORK/src" distclean >/dev/null 2>&1 || true; }
fi || { not_ok "copy the tree"; finish; }

deps=$(cd "$WORK/src" && dpkg-checkbuilddeps 2>&1 |
	sed -n 's/.*Unmet build dependencies: //p' |
	sed -E 's/\([^)]*\)//g; s/\|[^ ]*//g; s/:any//g')
if [ -n "$deps" ]; then
	note "installing build dependencies: $deps"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $deps >"$WORK/apt.log" 2>&1 ||
		{ not_ok "install build dependencies" "$(cat "$WORK/apt.log")"; finish; }
fi

note "dpkg-buildpackage -us -uc -b (log: $WORK/build.log)"
if (cd "$WORK/src" &&
    DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	not_ok "dpkg-buildpackage -us -uc -b" "$(tail -n 40 "$WORK/build.log")"
	finish
fi
version=$(cd "$WORK/src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$WORK/${PKG}_${version}_${arch}.deb
changes=$WORK/${PKG}_${version}_${arch}.changes
[ -f "$deb" ] || { not_ok "$deb built"; finish; }

# ------------------------------------------------------------ 2. contents
expected=$(
	cat <<-EOF
	$CONFFILE
	/usr/lib/dovecot/modules/doveadm/lib10_doveadm_standby_plugin.so
	/usr/lib/dovecot/modules/lib20_standby_plugin.so
	/usr/lib/dovecot/modules/sieve/lib90_sieve_standby_plugin.so
	/usr/lib/dovecot/standby-worker
	/usr/share/doc/$PKG/NEWS
	/usr/share/doc/$PKG/README.md
	/usr/share/doc/$PKG/changelog.Debian
	/usr/share/doc/$PKG/copyright
	/usr/share/lintian/overrides/$PKG
	/usr/share/man/man1/doveadm-standby.1
	EOF
	if [ "$MAJOR" = 2.4 ] && [ -d "$TREE/src/settings" ]; then
		echo /usr/lib/dovecot/modules/settings/libstandby_settings.so
	fi
	for f in "$TREE"/sieve-scripts/*; do
		[ -f "$f" ] && echo "/usr/share/$PKG/sieve-scripts/${f##*/}"
	done
)
expected=$(sort <<<"$expected")
# Regular files (and symlinks) only; compression (.gz) is debhelper's choice
# for documentation, so it is ignored in the comparison.
actual=$(dpkg-deb --fsys-tarfile "$deb" | tar -tvf - |
	awk '$1 !~ /^d/ { print $6 }' | sed -e 's|^\./|/|' \
	-e 's|^\(/usr/share/doc/.*\)\.gz$|\1|' -e 's|^\(/usr/share/man/.*\)\.gz$|\1|' |
	sort)
if [ "$actual" = "$expected" ]; then
	ok "dpkg -c: exactly the expected $(wc -l <<<"$expected") files"
else
	not_ok "dpkg -c: exactly the expected files" \
		"$(diff <(echo "$expected") <(echo "$actual") | grep '^[<>]' |
		   sed -e 's/^</missing:/' -e 's/^>/unexpected:/')"
fi
if dpkg -c "$deb" | grep -q '\.la$'; then
	not_ok "no .la files" "$(dpkg -c "$deb" | grep '\.la$')"
else
	ok "no .la files"
fi
conffiles=$(dpkg-deb -I "$deb" conffiles 2>/dev/null)
if [ "$conffiles" = "$CONFFILE" ]; then
	ok "conffile: $CONFFILE"
else
	not_ok "conffile: $CONFFILE" "conffiles: $conffiles"
fi
abi=$(tr -d ' \n' <"$ABI_FILE")
depends=$(dpkg-deb -f "$deb" Depends)
note "Depends: $depends"
for d in "dovecot-abi-$abi" dovecot-core dovecot-sieve; do
	if tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//' | grep -qx -- "$d"; then
		ok "Depends on $d"
	else
		not_ok "Depends on $d" "Depends: $depends"
	fi
done

# ------------------------------------------------------------ 3. lintian
lintian_out=$(lintian "$changes" 2>&1)
errors=$(grep '^E:' <<<"$lintian_out")
warnings=$(grep -c '^W:' <<<"$lintian_out")
if [ -z "$errors" ]; then
	ok "lintian: no errors ($warnings warnings)"
else
	not_ok "lintian: no errors" "$errors"
fi
grep -E '^(W|I):' <<<"$lintian_out" | sed 's/^/# lintian: /'

# ------------------------------------------------------------ 4. inert conffile
mkdir -p "$WORK/inert"
dpkg-deb -x "$deb" "$WORK/inert/root"
{
	if [ "$MAJOR" = 2.4 ]; then
		echo "dovecot_config_version = 2.4.1"
		echo "dovecot_storage_version = 2.4.1"
		echo "mail_driver = maildir"
		echo "mail_path = ~/Maildir"
	else
		echo "mail_location = maildir:~/Maildir"
	fi
	cat <<-EOF
	base_dir = $WORK/inert/run
	state_dir = $WORK/inert/state
	log_path = /dev/stderr
	protocols = imap lmtp
	ssl = no
	EOF
} >"$WORK/inert/base.conf"
{ cat "$WORK/inert/base.conf"
  echo "!include $WORK/inert/root$CONFFILE"; } >"$WORK/inert/with.conf"
if a=$(doveconf -n -c "$WORK/inert/base.conf" 2>&1 | grep -v '^# ') &&
   b=$(doveconf -n -c "$WORK/inert/with.conf" 2>&1 | grep -v '^# ') &&
   [ "$a" = "$b" ]; then
	ok "the shipped 90-standby.conf changes nothing (doveconf -n)"
else
	not_ok "the shipped 90-standby.conf changes nothing (doveconf -n)" \
		"$(diff <(echo "$a") <(echo "$b"))"
fi

[ $build_only -eq 1 ] && finish

# ------------------------------------------------------------ 5. install
free_ports() {	# n: n free loopback TCP ports
	python3 - "$1" <<-'EOF'
	import socket, sys
	socks = []
	for _ in range(int(sys.argv[1])):
	    s = socket.socket()
	    s.bind(("127.0.0.1", 0))
	    socks.append(s)
	print(" ".join(str(s.getsockname()[1]) for s in socks))
	EOF
}
wait_port() {	# port: wait until it accepts connections
	python3 - "$1" <<-'EOF'
	import socket, sys, time
	for _ in range(150):
	    try:
	        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
	        sys.exit(0)
	    except OSError:
	        time.sleep(0.1)
	sys.exit(1)
	EOF
}

if ! getent passwd $VMAIL_UID >/dev/null; then
	getent group $VMAIL_GID >/dev/null || groupadd -g $VMAIL_GID vmail
	useradd -u $VMAIL_UID -g $VMAIL_GID -d /nonexistent -s /usr/sbin/nologin \
		-M vmail || { not_ok "create the mail user (uid $VMAIL_UID)"; finish; }
fi

# Prepare everything that does not need the package before installing it,
# so that the package replaces the development build only briefly.
read -r P_IMAP P_LMTP S_IMAPS <<<"$(free_ports 3)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$WORK/tls.key" -out "$WORK/tls.crt" >/dev/null 2>&1 ||
	{ not_ok "make a TLS certificate"; finish; }
chmod 644 "$WORK/tls.key" "$WORK/tls.crt"
spw="s-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
ppw="p-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
for i in p s; do
	mkdir -p "$WORK/$i/home/alice"
	chown $VMAIL_UID:$VMAIL_GID "$WORK/$i/home/alice"
	chmod 755 "$WORK/$i" "$WORK/$i/home"
done
common_conf() {	# name protocols
	[ "$MAJOR" = 2.4 ] && { common_conf_24 "$@"; return; }
	cat <<-EOF
	base_dir = $WORK/$1/run
	state_dir = $WORK/$1/state
	instance_name = dsb-pkgtest-$1-$$
	log_path = $WORK/$1/dovecot.log
	listen = 127.0.0.1
	protocols = $2
	ssl = yes
	ssl_cert = <$WORK/tls.crt
	ssl_key = <$WORK/tls.key
	disable_plaintext_auth = no
	mail_location = maildir:~/Maildir
	mail_uid = $VMAIL_UID
	mail_gid = $VMAIL_GID
	first_valid_uid = $VMAIL_UID
	last_valid_uid = $VMAIL_UID
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $WORK/$1/users
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%u $WORK/$1/users
	}
	namespace inbox {
	  inbox = yes
	  separator = /
	  mailbox Sent {
	    special_use = \\Sent
	    auto = subscribe
	  }
	}
	EOF
}
# The same in Dovecot 2.4's syntax.
common_conf_24() {	# name protocols
	cat <<-EOF
	dovecot_config_version = 2.4.1
	dovecot_storage_version = 2.4.1
	base_dir = $WORK/$1/run
	state_dir = $WORK/$1/state
	instance_name = dsb-pkgtest-$1-$$
	log_path = $WORK/$1/dovecot.log
	listen = 127.0.0.1
	protocols = $2
	ssl = yes
	ssl_server_cert_file = $WORK/tls.crt
	ssl_server_key_file = $WORK/tls.key
	auth_allow_cleartext = yes
	mail_driver = maildir
	mail_path = ~/Maildir
	mail_uid = $VMAIL_UID
	mail_gid = $VMAIL_GID
	first_valid_uid = $VMAIL_UID
	last_valid_uid = $VMAIL_UID
	passdb passwd-file {
	  passwd_file_path = $WORK/$1/users
	  default_password_scheme = PLAIN
	}
	userdb passwd-file {
	  passwd_file_path = $WORK/$1/users
	}
	namespace inbox {
	  inbox = yes
	  separator = /
	  mailbox Sent {
	    special_use = \\Sent
	    auto = subscribe
	  }
	}
	EOF
}
# The standby: a plain IMAPS account, like a free-mail provider.
{ common_conf s imap
  cat <<-EOF
	service imap-login {
	  inet_listener imap {
	    port = 0
	  }
	  inet_listener imaps {
	    port = $S_IMAPS
	  }
	}
	EOF
} >"$WORK/s/dovecot.conf"
echo "alice:$spw:$VMAIL_UID:$VMAIL_GID::$WORK/s/home/alice::" >"$WORK/s/users"
# The primary: LMTP + IMAP, configured by the installed conffile.
{ common_conf p "imap lmtp"
  cat <<-EOF
	service imap-login {
	  inet_listener imap {
	    port = $P_IMAP
	  }
	  inet_listener imaps {
	    port = 0
	  }
	}
	service lmtp {
	  inet_listener lmtp {
	    $([ "$MAJOR" = 2.4 ] || echo "address = 127.0.0.1")
	    port = $P_LMTP
	  }
	}
	!include $WORK/p/90-standby.conf
	EOF
  # What 90-standby.conf leaves to the admin: where the standby is, and
  # the global Sieve scripts outside /etc/dovecot for this test.
  if [ "$MAJOR" = 2.4 ]; then
	cat <<-EOF
	standby_host = 127.0.0.1
	standby_port = $S_IMAPS
	standby_ssl_ca_file = $WORK/tls.crt
	standby_min_backoff = 1s
	standby_max_backoff = 5s
	sieve_script standby_global {
	  path = $WORK/p/sieve-global
	}
	EOF
  else
	cat <<-EOF
	plugin {
	  standby_host = 127.0.0.1
	  standby_port = $S_IMAPS
	  standby_ssl_ca_file = $WORK/tls.crt
	  standby_min_backoff = 1s
	  standby_max_backoff = 5s
	  sieve_global = $WORK/p/sieve-global
	}
	EOF
  fi
} >"$WORK/p/dovecot.conf"
echo "alice:$ppw:$VMAIL_UID:$VMAIL_GID::$WORK/p/home/alice::userdb_standby_user=alice userdb_standby_password=$spw" \
	>"$WORK/p/users"
chmod 644 "$WORK/s/users" "$WORK/p/users"
# alice's relevance rules: her personal script "standby" (not active).
mkdir -p "$WORK/p/home/alice/sieve"
cat >"$WORK/p/home/alice/sieve/standby.sieve" <<'EOF'
require ["vnd.standby.mirror"];
if header :contains "subject" "Order" {
    mirror :mailbox "Orders";
}
EOF
chown -R $VMAIL_UID:$VMAIL_GID "$WORK/p/home/alice"
msgid="<pkgtest.$$.$(date +%s)@customer.test>"
cat >"$WORK/order.eml" <<EOF
From: Customer <buyer@customer.test>
To: alice@primary.test
Subject: Order 4711: 20 boxes
Date: $(date -R)
Message-ID: $msgid

Please deliver 20 boxes by Friday.
EOF

if pkg_installed; then
	note "$PKG was installed before this test; it is removed at the end"
fi
[ -e "$CONFFILE" ] || purge=1
# Files of the package already on disk (a development build's `make
# install`), kept to be put back when this tree has no build to reinstall.
dpkg-deb --fsys-tarfile "$deb" | tar -tf - | sed 's|^\./|/|' |
	while IFS= read -r f; do
		[ -f "$f" ] && ! dpkg-query -S "$f" >/dev/null 2>&1 &&
			mkdir -p "$WORK/backup${f%/*}" && cp -a "$f" "$WORK/backup$f"
	done
note "installing $deb (dpkg -i)"
installed_by_us=1
if out=$(dpkg -i "$deb" 2>&1) ||
   out="$out"$'\n'$(apt-get -f install -y -q --no-install-recommends 2>&1); then
	:
fi
if pkg_installed && [ "$(dpkg-query -S /usr/lib/dovecot/standby-worker 2>/dev/null)" = \
		"$PKG: /usr/lib/dovecot/standby-worker" ]; then
	ok "dpkg -i $(basename "$deb")"
else
	not_ok "dpkg -i $(basename "$deb")" "$out"
	finish
fi
# -a: a development build's copy under /usr/local may be found first
check "man -w doveadm-standby finds the installed man page" \
	bash -c 'man -a -w doveadm-standby | grep -qx /usr/share/man/man1/doveadm-standby.1.gz'

# The installed conffile, copied, with its settings uncommented: lines
# "#setting", "#section {", "#}" and, inside commented blocks,
# "#  setting = value" / "#  section {" / "#  }". Prose is "# text".
python3 - "$CONFFILE" "$WORK/p/90-standby.conf" <<'EOF'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
direct = re.compile(r'^(\s*)#(?=[A-Za-z_}])(.*)$')
nested = re.compile(r'^(\s*)#(\s+)([A-Za-z_][A-Za-z0-9_.]*\s*=.*'
                    r'|[A-Za-z_][A-Za-z0-9_-]*(\s+[^\s{]+)?\s*\{\s*|\}\s*)$')
out, n = [], 0
for line in open(src):
    m = direct.match(line) or nested.match(line)
    if m:
        line = m.group(1) + line[m.end(1) + 1:]
        n += 1
    out.append(line)
open(dst, "w").write("".join(out))
print("# uncommented %d lines of %s" % (n, src))
EOF
chmod 644 "$WORK/p/90-standby.conf"
# sieve_global: the default rules, as 90-standby.conf says to copy them.
mkdir -p "$WORK/p/sieve-global"
cp /usr/share/$PKG/sieve-scripts/standby-default.sieve "$WORK/p/sieve-global/"
# The wiring script must be the installed one.
plugin_line="^mail_plugins = .*standby"	# 2.4: a boolean list
[ "$MAJOR" = 2.4 ] && plugin_line="^ *standby = yes"
if grep -q "/usr/share/$PKG/sieve-scripts/standby-wiring.sieve" \
		"$WORK/p/90-standby.conf" &&
   grep -q "$plugin_line" "$WORK/p/90-standby.conf" &&
   grep -q "executable = /usr/lib/dovecot/standby-worker" "$WORK/p/90-standby.conf"; then
	ok "the enabled conffile uses the installed plugin, worker and wiring script"
else
	not_ok "the enabled conffile uses the installed plugin, worker and wiring script" \
		"$(grep -v '^ *#' "$WORK/p/90-standby.conf" | grep .)"
fi
check "doveconf -n accepts the enabled configuration" \
	doveconf -n -c "$WORK/p/dovecot.conf"

started=1
for i in s p; do
	# The master keeps its stdout/stderr open: a file, never a pipe.
	if dovecot -c "$WORK/$i/dovecot.conf" >"$WORK/$i/start.out" 2>&1 &&
	   pid=$(cat "$WORK/$i/run/master.pid" 2>/dev/null); then
		pids+=("$pid")
	else
		not_ok "start the private Dovecot ($i)" "$(cat "$WORK/$i/start.out")
$(tail -n 20 "$WORK/$i/dovecot.log" 2>/dev/null)"
		started=0
	fi
done
if [ $started -eq 1 ] && wait_port "$S_IMAPS" && wait_port "$P_LMTP"; then
	ok "private primary and standby started"
	if out=$(python3 - "$P_LMTP" "$WORK/order.eml" 2>&1 <<-'EOF'
		import smtplib, sys
		c = smtplib.LMTP("127.0.0.1", int(sys.argv[1]), timeout=60)
		c.ehlo("client.test")
		refused = c.sendmail("buyer@customer.test", ["alice"],
		                     open(sys.argv[2], "rb").read())
		c.quit()
		sys.exit(1 if refused else 0)
		EOF
	); then
		ok "LMTP delivery to alice"
	else
		not_ok "LMTP delivery to alice" "$out"
	fi
	found=""
	for _ in $(seq 60); do
		found=$(doveadm -c "$WORK/s/dovecot.conf" search -u alice \
			mailbox Orders header Message-ID "$msgid" 2>/dev/null)
		[ -n "$found" ] && break
		sleep 0.5
	done
	if [ -n "$found" ]; then
		ok "the message arrived in the standby's Orders folder"
	else
		not_ok "the message arrived in the standby's Orders folder" \
			"$(grep -i -E 'standby|error|warning' "$WORK/p/dovecot.log" | tail -n 20)"
	fi
	if [ -n "$found" ] &&
	   body=$(doveadm -c "$WORK/s/dovecot.conf" fetch -u alice body \
		mailbox Orders header Message-ID "$msgid" 2>&1) &&
	   grep -q "Please deliver 20 boxes by Friday." <<<"$body"; then
		ok "the standby's copy has the message's body"
	else
		not_ok "the standby's copy has the message's body" "${body:-}"
	fi
	status=$(doveadm -c "$WORK/p/dovecot.conf" -f flow standby status -u alice 2>&1)
	if grep -q "enabled=yes" <<<"$status" && grep -q "mirrored=1" <<<"$status"; then
		ok "doveadm standby status (installed doveadm plugin): mirrored=1"
	else
		not_ok "doveadm standby status (installed doveadm plugin): mirrored=1" "$status"
	fi
	errors=$(grep -E '(Error|Fatal|Panic):' "$WORK/p/dovecot.log" "$WORK/s/dovecot.log")
	if [ -z "$errors" ]; then
		ok "no errors in the Dovecot logs"
	else
		not_ok "no errors in the Dovecot logs" "$errors"
	fi
fi

finish

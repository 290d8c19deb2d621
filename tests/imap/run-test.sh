#!/bin/sh
# Builds tests/test-standby-imap (make) and runs it against a private Dovecot standby
# (IMAPS on 20993, IMAP+STARTTLS on 20143) and fake-imap-server.py (20145,
# 20146) started here, under valgrind; run as root. The ports come from
# STANDBY_IMAPS_PORT, STANDBY_IMAP_PORT, STANDBY_FAKE_PORT and
# STANDBY_SILENT_PORT when set.
# Prints PASS/FAIL lines and "N passed, N failed"; exits non-zero on failure.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${STANDBY_IMAP_TEST_DIR:-/tmp/standby-imap-test}
imaps_port=${STANDBY_IMAPS_PORT:-20993}
imap_port=${STANDBY_IMAP_PORT:-20143}
fake_port=${STANDBY_FAKE_PORT:-20145}
silent_port=${STANDBY_SILENT_PORT:-20146}

stop_dovecot() {
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null || true
		fake_pid=
	fi
	if [ -f "$dir/run/master.pid" ]; then
		kill "$(cat "$dir/run/master.pid")" 2>/dev/null || true
		sleep 1
	fi
}
stop_dovecot
rm -rf "$dir"
mkdir -p "$dir/run" "$dir/state" "$dir/home"

# TLS: own CA, server cert for localhost / 127.0.0.1
# (keyUsage on the CA: Python 3.13's ssl, on Debian 13, refuses a CA
# without it)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=standby test CA" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/san.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
	-CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/server.crt" 2>/dev/null

id vmail >/dev/null 2>&1 || useradd -u 5000 -U -M -s /usr/sbin/nologin vmail
chown vmail:vmail "$dir/home"
echo 'standby:{PLAIN}Stand8y-Secret!::::::' > "$dir/passwd"

# The Dovecot major: STANDBY_DOVECOT_MAJOR (scripts/test sets it), else
# what dovecot --version says. Its configuration syntax is written below.
major=${STANDBY_DOVECOT_MAJOR:-}
case "$major" in
2.3|2.4) ;;
*) case "$(dovecot --version)" in
   2.4.*) major=2.4 ;;
   *) major=2.3 ;;
   esac ;;
esac

if [ "$major" = 2.4 ]; then
cat > "$dir/dovecot.conf" <<CONF
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = standby-imap-test
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1, 127.0.0.2
ssl = yes
ssl_server_cert_file = $dir/server.crt
ssl_server_key_file = $dir/server.key
auth_mechanisms = plain login
passdb passwd-file {
  passwd_file_path = $dir/passwd
  default_password_scheme = PLAIN
}
userdb static {
  fields {
    uid = vmail
    gid = vmail
    home = $dir/home/%{user}
  }
}
mail_driver = maildir
mail_path = ~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Gesendet {
    special_use = \Sent
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
CONF
else
cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
instance_name = standby-imap-test
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1, 127.0.0.2
ssl = yes
ssl_cert = <$dir/server.crt
ssl_key = <$dir/server.key
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/passwd
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$dir/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Gesendet {
    special_use = \Sent
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
CONF
fi
dovecot -c "$dir/dovecot.conf"
trap stop_dovecot EXIT
python3 "$top/tests/imap/fake-imap-server.py" "$fake_port" "$silent_port" &
fake_pid=$!
sleep 0.5

make -s -C "$top/tests" test-standby-imap
# Under valgrind, through the project's RUN_TEST wrapper (run-test.sh.in,
# written by configure on both majors: run-test.sh PROGRAM [ARG...]): any
# memory error or leak fails the run.
if [ -f "$top/run-test.sh" ]; then
	wrap="sh $top/run-test.sh"
elif [ -n "$NOVALGRIND" ]; then
	wrap=
else
	echo "FAIL: valgrind wrapper $top/run-test.sh missing (install" \
		"valgrind and rerun configure, or set NOVALGRIND=1)"
	echo "0 passed, 1 failed"
	exit 1
fi
set +e
# the certificate rejections without valgrind: see test_login_tls_reject()
STANDBY_IMAP_TEST_GROUP=tls-reject "$top/tests/test-standby-imap" "$dir" \
	"$imaps_port" "$imap_port" "$fake_port" "$silent_port" \
	> "$dir/test-tls.out" 2>"$dir/test-tls.err"
rc=$?
$wrap "$top/tests/test-standby-imap" "$dir" "$imaps_port" "$imap_port" "$fake_port" "$silent_port" > "$dir/test.out" 2>"$dir/test.err"
rc2=$?
[ "$rc" -ne 0 ] || rc=$rc2
cat "$dir/test-tls.out" >> "$dir/test.out"
cat "$dir/test-tls.err" >> "$dir/test.err"
set -e
grep -v "passed, .* failed" "$dir/test.out" || true

# independent check with Python's imaplib: folder, flags, date, bytes
python3 - "$dir" "$imaps_port" <<'PY' > "$dir/py.out" || rc=1
import imaplib, ssl, sys
d, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
m.login("standby", "Stand8y-Secret!")
ok = True
# "Aufträge" in modified UTF-7
typ, data = m.select('"Auftr&AOQ-ge"', readonly=True)
print(("PASS" if typ == "OK" else "FAIL") + ": python: folder Aufträge exists (mUTF-7)")
ok &= typ == "OK"
typ, data = m.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
meta = data[0][0].decode()
body = data[0][1]
want = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: imaps-0\r\nMessage-ID: <imaps-0@test>\r\n\r\n"
import time
t = imaplib.Internaldate2tuple(data[0][0])
good = "\\Seen" in meta and "$Kw" in meta and t is not None and int(time.mktime(t)) == 1700000000
print(("PASS" if good else "FAIL") + ": python: flags \\Seen $Kw and INTERNALDATE kept -- " + meta)
ok &= good
good = body.startswith(want) and len(body) == len(want) + 200 + 200 // 70 * 2 + 2
print(("PASS" if good else "FAIL") + ": python: bytes identical (%d bytes)" % len(body))
ok &= good
m.logout()
sys.exit(0 if ok else 1)
PY
cat "$dir/py.out"
p=$(grep -c '^PASS' "$dir/test.out" "$dir/py.out" | awk -F: '{s+=$2} END {print s}')
f=$(grep -c '^FAIL' "$dir/test.out" "$dir/py.out" | awk -F: '{s+=$2} END {print s}')
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	echo "FAIL: test program exited with $rc"; cat "$dir/test.err"; f=$((f+1))
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ]

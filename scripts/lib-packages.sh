# shellcheck shell=bash
# dovecot-standby: the Debian packages the build, the tests and the demo
# need, and how to get them. Sourced by scripts/test, scripts/demo and
# scripts/debian13-root (bash). The sourcing script defines note() (prints
# a progress line) and LOGDIR (a directory for apt's log).

# PACKAGES: what the build and the tests need, on this machine and in the
# Debian 13 root (scripts/debian13-root); FUZZ_PACKAGES: what the fuzz
# suite needs besides (on this machine only)
PACKAGES="dovecot-core dovecot-dev dovecot-imapd dovecot-lmtpd dovecot-pop3d
dovecot-sieve dovecot-managesieved autoconf automake libtool pkg-config make
gcc libc6-dev openssl python3 procps passwd coreutils build-essential
debhelper dpkg-dev lintian valgrind man-db"
FUZZ_PACKAGES="clang libclang-rt-dev"

install_packages() {	# [EXTRA-PACKAGE...]
	local missing="" p
	for p in $PACKAGES "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
				grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	note "installing missing packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # a list of package names
	if ! { apt-get update -q &&
	       apt-get install -y -q --no-install-recommends $missing; } \
			>"$LOGDIR/apt.log" 2>&1; then
		tail -n 30 "$LOGDIR/apt.log" | sed 's/^/#   /'
		return 1
	fi
}

# The Debian package starts the system's Dovecot. Our instances use their
# own ports and directories, but a second Dovecot only confuses logs and
# process lookups: stop it (without touching /etc/dovecot).
stop_system_dovecot() {
	local pidfile=/run/dovecot/master.pid pid
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		systemctl stop dovecot.service dovecot.socket 2>/dev/null || true
	fi
	if [ -r "$pidfile" ]; then
		pid=$(cat "$pidfile")
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
				grep -q dovecot "/proc/$pid/comm" 2>/dev/null; then
			note "stopping the system's Dovecot (pid $pid)"
			kill -TERM "$pid"
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.2
			done
		fi
	fi
}

#!/bin/sh
# test-fixture.sh — starts or stops the mapixd that the remote_store_* tests
# share (a CTest fixture, see src/server/CMakeLists.txt). The server gets a
# fresh data directory, listens on DIR/mapixd.sock, and lists the user
# running the tests as its administrator so store_hook_open may create
# mailboxes.
# When certtool and openssl are there (gnutls-bin, scripts/install-deps) it
# also listens on 127.0.0.1 with TLS on a port the kernel picks (written to
# DIR/tcp.address), with a throwaway CA (DIR/certs, test-certs.sh) and the
# administrator account "suite" whose password is in DIR/suite.password:
# the remote_tls_store_* tests run store suites through it.
#   test-fixture.sh start|stop MAPIXD DIR
set -eu
action=$1 mapixd=$2 dir=$3

stop() {
	if [ -f "$dir/mapixd.pid" ]; then
		pid=$(cat "$dir/mapixd.pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$dir/mapixd.pid"
	fi
}

case $action in
start)
	stop
	rm -rf "$dir/data" "$dir/certs" "$dir/tcp.address" "$dir/suite.password"
	mkdir -p "$dir"
	tls=no
	if command -v certtool >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 &&
		sh "$(dirname "$0")/test-certs.sh" "$dir/certs"; then
		tls=yes
	fi
	cat >"$dir/mapixd.conf" <<CONF
[server]
name = testserver
socket = $dir/mapixd.sock
data_dir = $dir/data
pid_file = $dir/mapixd.pid
[rights]
administrators = $(id -un), account:suite
[audit]
file = $dir/audit.log
CONF
	if [ $tls = yes ]; then
		cat >>"$dir/mapixd.conf" <<CONF
[tcp]
listen = 127.0.0.1:0
address_file = $dir/tcp.address
certificate = $dir/certs/server.pem
key = $dir/certs/server.key
CONF
		(umask 077 && od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$dir/suite.password")
		"$mapixd" --config "$dir/mapixd.conf" --create-account suite --password-file "$dir/suite.password" >/dev/null
	fi
	exec "$mapixd" --config "$dir/mapixd.conf" --daemon
	;;
stop)
	stop
	;;
*)
	echo "usage: $0 start|stop MAPIXD DIR" >&2
	exit 2
	;;
esac

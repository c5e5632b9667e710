#!/bin/sh
# test-fixture.sh — starts or stops the mapixd that the remote_store_* tests
# share (a CTest fixture, see src/server/CMakeLists.txt). The server gets a
# fresh data directory, listens on DIR/mapixd.sock, and lists the user
# running the tests as its administrator so store_hook_open may create
# mailboxes.
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
	rm -rf "$dir/data"
	mkdir -p "$dir"
	cat >"$dir/mapixd.conf" <<CONF
[server]
name = testserver
socket = $dir/mapixd.sock
data_dir = $dir/data
pid_file = $dir/mapixd.pid
[rights]
administrators = $(id -un)
[audit]
file = $dir/audit.log
CONF
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

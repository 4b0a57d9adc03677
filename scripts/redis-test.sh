#!/bin/sh
# redis-test.sh - a throwaway redis-server for the tests.
#
#   scripts/redis-test.sh start DIR [PORT]  start one on 127.0.0.1 (a free port, or PORT) with its
#                                           files under DIR; no persistence; waits for PING (5 s);
#                                           prints the port
#   scripts/redis-test.sh kill DIR          SIGKILL it (a crash: DIR and the port are kept for a restart)
#   scripts/redis-test.sh stop DIR          stop it (by the pid it recorded) and remove DIR
#
# Exit status 77 from start: no redis-server installed (callers skip).
# The server listens on loopback only, saves nothing (no RDB, no AOF), and
# has a 256 MiB memory cap.
set -eu
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR [PORT] | kill DIR | stop DIR" >&2; exit 2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

ping() {
	python3 - "$1" <<'EOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
EOF
}

case $cmd in
start)
	bin=$(command -v redis-server 2>/dev/null || true)
	[ -x /usr/bin/redis-server ] && bin=/usr/bin/redis-server
	[ -n "$bin" ] || { echo "redis-server is not installed" >&2; exit 77; }
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	port=${3:-$(free_port)}
	cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
protected-mode yes
daemonize no
dir $dir
logfile $dir/redis.log
save ""
appendonly no
maxmemory 256mb
databases 16
CONF
	"$bin" "$dir/redis.conf" >/dev/null 2>&1 &
	echo $! >"$dir/pid"
	echo "$port" >"$dir/port"
	i=0
	while [ $i -lt 100 ]; do
		if ping "$port"; then
			echo "$port"
			exit 0
		fi
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "redis-server did not start: $(tail -n 5 "$dir/redis.log" 2>/dev/null)" >&2
	kill "$(cat "$dir/pid")" 2>/dev/null || true
	exit 1
	;;
kill)
	[ -f "$dir/pid" ] && kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
	i=0
	while [ $i -lt 100 ] && [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	;;
stop)
	if [ -f "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start DIR [PORT] | kill DIR | stop DIR" >&2
	exit 2
	;;
esac

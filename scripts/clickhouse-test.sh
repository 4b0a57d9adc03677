#!/bin/sh
# clickhouse-test.sh - a throwaway clickhouse-server for the tests.
#
#   scripts/clickhouse-test.sh start DIR   start one on 127.0.0.1 with its data,
#                                          logs and config under DIR; prints the
#                                          HTTP port; waits for /ping (10 s)
#   scripts/clickhouse-test.sh start-cluster DIR
#                                          two servers, on 127.0.0.1 and
#                                          127.0.0.2 with the same ports, each
#                                          with the cluster `aicost_test` (one
#                                          shard on each) in remote_servers;
#                                          prints the HTTP port (the Distributed
#                                          layout's test)
#   scripts/clickhouse-test.sh stop DIR    stop it or them (by the pids recorded)
#                                          and remove DIR
#
# Exit status 77 from start: no clickhouse-server installed (callers skip).
# The server is kept small: no query/part logs, a 1 GiB memory limit, two
# threads per query, a small mark cache; it listens on loopback only.
set -eu
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|start-cluster|stop DIR" >&2; exit 2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}


# start_one DIR HOST HTTP TCP INTER [REMOTE_SERVERS_XML]: config, start, wait for /ping.
start_one() {
	d=$1 host=$2 http=$3 tcp=$4 inter=$5 remote=${6:-}
	mkdir -p "$d/data" "$d/tmp" "$d/log" "$d/user_files" "$d/format_schemas"
	cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$d/log/server.log</log><errorlog>$d/log/error.log</errorlog><size>10M</size><count>1</count></logger>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <interserver_http_port>$inter</interserver_http_port>
    <listen_host>$host</listen_host>
    <max_connections>64</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>16</max_concurrent_queries>
    <uncompressed_cache_size>0</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$d/data/</path>
    <tmp_path>$d/tmp/</tmp_path>
    <user_files_path>$d/user_files/</user_files_path>
    <format_schema_path>$d/format_schemas/</format_schema_path>
    <users_config>$d/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    $remote
</yandex>
XML
	cat >"$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default>
        <max_memory_usage>1000000000</max_memory_usage>
        <max_threads>2</max_threads>
        <load_balancing>random</load_balancing>
    </default></profiles>
    <users><default>
        <password></password>
        <networks><ip>127.0.0.0/8</ip></networks>
        <profile>default</profile>
        <quota>default</quota>
    </default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	"$bin" --config-file="$d/config.xml" >"$d/log/stdout.log" 2>&1 &
	echo $! >"$d/pid"
	echo "$http" >"$d/port"
	i=0
	while [ $i -lt 100 ]; do
		if curl -fsS "http://$host:$http/ping" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(cat "$d/pid")" 2>/dev/null; then
			echo "clickhouse-server exited; see $d/log" >&2
			tail -5 "$d/log/stdout.log" "$d/log/error.log" >&2 2>/dev/null || true
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "clickhouse-server did not answer /ping within 10 s" >&2
	kill "$(cat "$d/pid")" 2>/dev/null || true
	return 1
}

stop_one() {
	if [ -f "$1/pid" ]; then
		pid=$(cat "$1/pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null || true
	fi
}

find_bin() {
	bin=$(command -v clickhouse-server 2>/dev/null || true)
	[ -x /usr/sbin/clickhouse-server ] && bin=/usr/sbin/clickhouse-server
	[ -n "$bin" ] || { echo "clickhouse-server is not installed" >&2; exit 77; }
}

# A port free on both loopback addresses.
free_port2() {
	python3 -c '
import socket
for _ in range(50):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.2", p)); print(p); break
    except OSError: pass
    finally: a.close(); b.close()'
}

case $cmd in
start)
	find_bin
	start_one "$dir" 127.0.0.1 "$(free_port)" "$(free_port)" "$(free_port)" || exit 1
	cat "$dir/port"
	;;
start-cluster)
	find_bin
	http=$(free_port2); tcp=$(free_port2); inter=$(free_port2)
	remote="<remote_servers><aicost_test>
        <shard><replica><host>127.0.0.1</host><port>$tcp</port></replica></shard>
        <shard><replica><host>127.0.0.2</host><port>$tcp</port></replica></shard>
    </aicost_test></remote_servers>"
	start_one "$dir/s1" 127.0.0.1 "$http" "$tcp" "$inter" "$remote" || exit 1
	start_one "$dir/s2" 127.0.0.2 "$http" "$tcp" "$inter" "$remote" || { stop_one "$dir/s1"; exit 1; }
	echo "$http"
	;;
stop)
	stop_one "$dir"
	stop_one "$dir/s1"
	stop_one "$dir/s2"
	rm -rf "$dir"
	;;
*) echo "usage: $0 start|start-cluster|stop DIR" >&2; exit 2 ;;
esac

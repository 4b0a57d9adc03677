#!/bin/sh
# clickhouse-test.sh - a throwaway clickhouse-server for the tests.
#
#   scripts/clickhouse-test.sh start DIR   start one on 127.0.0.1 with its data,
#                                          logs and config under DIR; prints the
#                                          HTTP port; waits for /ping (10 s)
#   scripts/clickhouse-test.sh stop DIR    stop it (by the pid it recorded) and
#                                          remove DIR
#
# Exit status 77 from start: no clickhouse-server installed (callers skip).
# The server is kept small: no query/part logs, a 1 GiB memory limit, two
# threads per query, a small mark cache; it listens on loopback only.
set -eu
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

case $cmd in
start)
	bin=$(command -v clickhouse-server 2>/dev/null || true)
	[ -x /usr/sbin/clickhouse-server ] && bin=/usr/sbin/clickhouse-server
	[ -n "$bin" ] || { echo "clickhouse-server is not installed" >&2; exit 77; }
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	http=$(free_port); tcp=$(free_port); inter=$(free_port)
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><size>10M</size><count>1</count></logger>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <interserver_http_port>$inter</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>64</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>16</max_concurrent_queries>
    <uncompressed_cache_size>0</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default>
        <max_memory_usage>1000000000</max_memory_usage>
        <max_threads>2</max_threads>
        <load_balancing>random</load_balancing>
    </default></profiles>
    <users><default>
        <password></password>
        <networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile>
        <quota>default</quota>
    </default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	"$bin" --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
	echo "$http" >"$dir/port"
	i=0
	while [ $i -lt 100 ]; do
		if curl -fsS "http://127.0.0.1:$http/ping" >/dev/null 2>&1; then
			echo "$http"
			exit 0
		fi
		if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
			echo "clickhouse-server exited; see $dir/log" >&2
			tail -5 "$dir/log/stdout.log" "$dir/log/error.log" >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "clickhouse-server did not answer /ping within 10 s" >&2
	kill "$(cat "$dir/pid")" 2>/dev/null || true
	exit 1
	;;
stop)
	if [ -f "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
	;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

#!/bin/bash
# collect gpu: real dlopen of a fake libnvidia-ml (tests/fake_nvml) and a real HTTP
# scrape of a local dcgm-exporter stand-in (python3). Checks exact GPU time and energy,
# restart continuity, SIGTERM flush (exit 0), kill -9 keeping committed samples, and
# the one-line errors without NVML.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
BUILD=${BUILD:-build/rel}
[ -x "$bin" ] || bin=$root/aicost
[ -x "$root/$BUILD/aicost" ] && bin=$root/$BUILD/aicost
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
check() { if [ "$2" = "$3" ]; then :; else echo "test_gpu_collect: $1: got '$2', want '$3'"; fail=1; fi; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); r=[x for x in d['rows'] if x['gpu']==sys.argv[1]][0]; print(r[sys.argv[2]])" "$@"; }
# Hours as seconds to 0.1 s (sample times jitter by a few ms).
secs() { python3 -c "import sys; print(round(float(sys.stdin.read())*3600, 1))"; }

cc -shared -fPIC -o "$tmp/libnvidia-ml.so.1" "$root/tests/fake_nvml/fake_nvml.c" || { echo "cannot build the fake NVML"; exit 1; }
export AICOST_NVML_LIB=$tmp/libnvidia-ml.so.1 TZ=UTC
db=$tmp/a.db

# 3 samples 0.2 s apart: each stands for 0.2 s (the last one for the interval): 0.6 s per GPU.
"$bin" --quiet --db "$db" collect gpu --host node-a --count 3 --interval 0.2 >/dev/null
check "exit" $? 0
out=$("$bin" --db "$db" gpu --by gpu --format json)
check "gpu0 seconds" "$(echo "$out" | field GPU-fake-0 gpu_hours | secs)" 0.6
check "gpu1 idle seconds" "$(echo "$out" | field GPU-fake-1 idle_hours | secs)" 0.6
# Energy: the counter rose 100 J per call, 2 increases = 200 J = 0.0000556 kWh.
check "gpu0 kWh" "$(echo "$out" | field GPU-fake-0 energy_kwh)" 5.6e-05
check "gpu1 power (not supported)" "$(echo "$out" | field GPU-fake-1 avg_power_w)" None
check "gpu0 headroom" "$(echo "$out" | field GPU-fake-0 mem_headroom)" 75

# Restart: the same source continues (2 more samples = 0.4 s more).
"$bin" --quiet --db "$db" collect gpu --host node-a --count 2 --interval 0.2 >/dev/null
out=$("$bin" --db "$db" gpu --by gpu --format json)
check "after restart" "$(echo "$out" | field GPU-fake-0 gpu_hours | secs)" 1.0
check "one source" "$("$bin" --db "$db" sources | grep -c nvml:node-a)" 1

# SIGTERM: flush and exit 0.
"$bin" --quiet --db "$tmp/t.db" collect gpu --host node-b --interval 0.2 >/dev/null &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check "SIGTERM exit" $? 0
h=$("$bin" --db "$tmp/t.db" gpu --by gpu --format json | field GPU-fake-0 gpu_hours)
[ "$h" != 0 ] || { echo "test_gpu_collect: nothing flushed on SIGTERM"; fail=1; }

# kill -9: what was committed before stays.
"$bin" --quiet --db "$tmp/k.db" collect gpu --host node-c --interval 0.2 >/dev/null &
pid=$!
sleep 1
kill -KILL $pid
wait $pid 2>/dev/null
h=$("$bin" --db "$tmp/k.db" gpu --by gpu --format json | field GPU-fake-0 gpu_hours)
[ "$h" != 0 ] || { echo "test_gpu_collect: kill -9 lost committed samples"; fail=1; }

# No library / no driver: one clear line, exit 1.
AICOST_NVML_LIB=$tmp/none.so "$bin" --db "$tmp/n.db" collect gpu --count 1 >/dev/null 2>"$tmp/err"
check "no NVML exit" $? 1
check "no NVML message" "$(wc -l <"$tmp/err" | tr -d ' ')" 1
grep -q "cannot load NVML" "$tmp/err" || { echo "test_gpu_collect: unclear message: $(cat "$tmp/err")"; fail=1; }
FAKE_NVML_FAIL_INIT=1 "$bin" --db "$tmp/n.db" collect gpu --count 1 >/dev/null 2>"$tmp/err"
check "init failure exit" $? 1
grep -q "Driver Not Loaded" "$tmp/err" || { echo "test_gpu_collect: $(cat "$tmp/err")"; fail=1; }

# Scrape a dcgm-exporter stand-in over HTTP.
mkdir -p "$tmp/www"
cat >"$tmp/www/metrics" <<'M'
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-s0",modelName="NVIDIA H100 80GB HBM3",Hostname="node-s",pod="train-1",namespace="fraud",container="c"} 87
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-s1",modelName="NVIDIA H100 80GB HBM3",Hostname="node-s",pod="",namespace="",container=""} 0
DCGM_FI_DEV_MEMORY_TEMP{gpu="0",UUID="GPU-s0",Hostname="node-s"} 9223372036854775794
DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-s1",modelName="NVIDIA H100 80GB HBM3",Hostname="node-s",pod="",namespace="",container=""} 9223372036854775794
M
python3 - "$tmp/www" "$tmp/port" <<'PY' &
import http.server, os, sys, functools
d, portfile = sys.argv[1], sys.argv[2]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), functools.partial(H, directory=d))
open(portfile + ".tmp", "w").write(str(s.server_address[1])); os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
srv=$!
for _ in $(seq 50); do [ -f "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
"$bin" --quiet --db "$tmp/s.db" collect gpu --scrape "http://127.0.0.1:$port/metrics" --count 2 --interval 0.3 >/dev/null
check "scrape exit" $? 0
out=$("$bin" --db "$tmp/s.db" gpu --by gpu,pod,namespace --format json)
check "scraped pod" "$(echo "$out" | field GPU-s0 pod)" train-1
check "scraped seconds" "$(echo "$out" | field GPU-s0 gpu_hours | secs)" 0.6
check "scraped util" "$(echo "$out" | field GPU-s0 avg_util)" 87
check "sentinel power ignored" "$(echo "$out" | field GPU-s1 avg_power_w)" None
"$bin" --quiet --db "$tmp/s.db" collect gpu --scrape "http://127.0.0.1:$port/nothing" --count 1 --interval 0.1 2>"$tmp/err" >/dev/null
grep -q "HTTP status 404" "$tmp/err" || { echo "test_gpu_collect: 404 not reported: $(cat "$tmp/err")"; fail=1; }

[ $fail = 0 ] && echo "test_gpu_collect: ok"
exit $fail

#!/usr/bin/env bash
# Compares dancu binaries on the read API over loopback, alternating them
# round after round on one data folder, as BENCHMARKS.md reports it: on a
# shared machine only figures measured side by side can be compared. For
# each binary and round: GET /v1/citizens/{pin} and the search by name and
# birth year (wrk, 32 connections), with the server's CPU time per request
# (from /proc), which the machine's other load disturbs far less than
# latency and throughput.
#
# Usage: scripts/bench-http-ab.sh DIR ROUNDS BIN...
#   DIR   a data folder made by dancu generate (e.g. by scripts/bench-http.sh);
#         or, when the binaries' data layouts differ (a migration), one folder
#         per binary, in their order, separated by commas (copies of one folder)
# Environment: DURATION (10s), CONNECTIONS (32), ADDR (127.0.0.1:18091).
# Needs wrk and sqlite3 (Debian packages of those names).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
rounds=$2
shift 2
addr=${ADDR:-127.0.0.1:18091}
duration=${DURATION:-10s}
conns=${CONNECTIONS:-32}
export DANCU_ADMIN_TOKEN=bench-admin-token-0123456789 TOKEN=bench-admin-token-0123456789
IFS=, read -r -a dirs <<< "$dir"
dir=${dirs[0]} # the request lists come from the first folder
[ -f "$dir/pins.txt" ] || sqlite3 "$dir/dancu.db" "SELECT pin FROM persons WHERE abs(random()) % 50 = 0 LIMIT 20000" > "$dir/pins.txt"
[ -f "$dir/names.txt" ] || sqlite3 -separator ' ' "$dir/dancu.db" \
  "SELECT replace(name_key,' ','+'), birth_year FROM persons WHERE abs(random()) % 200 = 0 LIMIT 5000" > "$dir/names.txt"
ticks=$(getconf CLK_TCK)
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure ROUND BIN NAME PID wrk-arguments...
measure() {
  local round=$1 bin=$2 name=$3 pid=$4
  shift 4
  local c0 c1 out n
  c0=$(cputicks "$pid")
  out=$(wrk "$@" 2>&1)
  c1=$(cputicks "$pid")
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "round=$round bin=$bin $name" \
    "req/s=$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "p50=$(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "p99=$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "requests=$n cpu_us_per_request=$(( (c1 - c0) * 1000000 / ticks / (n > 0 ? n : 1) ))"
}

for round in $(seq 1 "$rounds"); do
  i=0
  for bin in "$@"; do
    data=${dirs[$i]:-$dir}
    i=$((i + 1))
    "$bin" serve --data "$data" --addr "$addr" --log-level warn > "$data/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 240); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.5; done
    PINS="$dir/pins.txt" measure "$round" "$bin" get "$server" \
      -t1 -c"$conns" -d"$duration" --latency -s scripts/wrk-citizen.lua "http://$addr"
    NAMES="$dir/names.txt" measure "$round" "$bin" search "$server" \
      -t1 -c"$conns" -d"$duration" --latency -s scripts/wrk-search.lua "http://$addr"
    kill "$server"
    wait "$server" 2>/dev/null || true
  done
done

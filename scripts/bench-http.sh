#!/usr/bin/env bash
# Measures the read API over loopback with wrk, as BENCHMARKS.md reports it:
# GET /v1/citizens/{pin} for random people, then a search by accent-free name
# and birth year; then the server's memory (RSS) and the database size.
#
# Usage: scripts/bench-http.sh [PEOPLE] [DIR]
#   PEOPLE  population to generate if DIR has none (default 1000000)
#   DIR     data folder (default /tmp/dancu-bench-PEOPLE), reused between runs
# Environment: DURATION (30s), CONNECTIONS (32), ADDR (127.0.0.1:18090).
# Needs wrk and sqlite3 (Debian packages of those names).
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-1000000}
dir=${2:-/tmp/dancu-bench-$people}
addr=${ADDR:-127.0.0.1:18090}
duration=${DURATION:-30s}
conns=${CONNECTIONS:-32}
bin=$(mktemp -d)/dancu
export DANCU_ADMIN_TOKEN=bench-admin-token-0123456789

go build -o "$bin" ./cmd/dancu
if [ ! -f "$dir/dancu.db" ]; then
  "$bin" generate --citizens "$people" --data "$dir"
fi
sqlite3 "$dir/dancu.db" "SELECT pin FROM persons WHERE abs(random()) % 50 = 0 LIMIT 20000" > "$dir/pins.txt"
sqlite3 -separator ' ' "$dir/dancu.db" \
  "SELECT replace(name_key,' ','+'), birth_year FROM persons WHERE abs(random()) % 200 = 0 LIMIT 5000" > "$dir/names.txt"

"$bin" serve --data "$dir" --addr "$addr" --log-level warn > "$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.5; done
echo "rss_after_start_kib $(ps -o rss= -p $server)"

export TOKEN=$DANCU_ADMIN_TOKEN
echo "== GET /v1/citizens/{pin}, $conns connections, $duration"
PINS="$dir/pins.txt" wrk -t1 -c"$conns" -d"$duration" --latency -s scripts/wrk-citizen.lua "http://$addr"
echo "== GET /v1/citizens?name=...&birth_year=..., $conns connections, $duration"
NAMES="$dir/names.txt" wrk -t1 -c"$conns" -d"$duration" --latency -s scripts/wrk-search.lua "http://$addr"

echo "rss_after_load_kib $(ps -o rss= -p $server)"
bytes=$(du -cb "$dir"/dancu.db* "$dir"/dancu-access.db* | tail -n1 | cut -f1)
count=$(sqlite3 "$dir/dancu.db" "SELECT count(*) FROM persons")
echo "db_bytes $bytes people $count bytes_per_person $((bytes / count))"

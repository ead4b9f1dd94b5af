#!/usr/bin/env bash
# Issue 10's sustained run: N `dancu serve` processes on one PostgreSQL
# database, their capacity measured with closed-loop connections, then a
# fixed schedule at a share of it (default 80 %) for a long run, latency
# counted from each request's scheduled start and each process's memory
# sampled from /metrics (BENCHMARKS.md, "10 minutes at 80 % of capacity").
#
# Usage: scripts/bench-80.sh DSN [PROCESSES]
#   DSN        postgres://... of a database holding a generated population
#              (dancu generate --citizens 100000 --seed 7 --db DSN)
#   PROCESSES  default 3
# Environment: DURATION (10m), SHARE (80), CONNECTIONS (48 for capacity,
#   64 for the run), PORT (18081), BIN (default: built from the tree), and
#   DANCU_ENCRYPTION_KEY_FILE, the key file the database was made with.
set -euo pipefail
cd "$(dirname "$0")/.."
dsn=$1 n=${2:-3}
duration=${DURATION:-10m} share=${SHARE:-80} port=${PORT:-18081}
work=$(mktemp -d)
bin=${BIN:-$work/dancu}
[ -n "${BIN:-}" ] || go build -o "$bin" ./cmd/dancu
export DANCU_ADMIN_TOKEN=bench-admin-token-0123456789
pids=() urls=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for i in $(seq 0 $((n - 1))); do
  p=$((port + i))
  # One analytics file for all: the first process to lock it keeps it and
  # feeds it, the others serve without statistics (and say so once).
  DANCU_STATS_PATH=$work/stats.duckdb DANCU_PUBLIC_URL=http://127.0.0.1:$port "$bin" serve --db "$dsn" --addr 127.0.0.1:$p --log-level warn > "$work/serve-$p.log" 2>&1 &
  pids+=($!) urls+=(http://127.0.0.1:$p)
done
for u in "${urls[@]}"; do
  for _ in $(seq 1 120); do curl -fs "$u/readyz" >/dev/null && break; sleep 0.5; done
done
list=$(IFS=,; echo "${urls[*]}")
"$bin" bench --url "$list" --issuer "http://127.0.0.1:$port" --duration 5s --connections 48 > /dev/null 2>&1 || true
"$bin" bench --url "$list" --issuer "http://127.0.0.1:$port" --duration 20s --connections "${CONNECTIONS:-48}" | tee "$work/capacity.txt"
capacity=$(awk '$1 == "all" {print $3}' "$work/capacity.txt")
rate=$(awk -v c="$capacity" -v s="$share" 'BEGIN {printf "%d", c * s / 100}')
echo "== capacity $capacity req/s; $share %: $rate req/s for $duration"
"$bin" bench --url "$list" --issuer "http://127.0.0.1:$port" --duration "$duration" --connections "${CONNECTIONS:-64}" \
  --rate "$rate" --sample-memory 5s
for i in $(seq 0 $((n - 1))); do
  echo "process :$((port + i)): $(grep -ci 'level=error\|"level":"ERROR"' "$work/serve-$((port + i)).log" || true) error lines logged"
  grep -i -m2 'level=error\|"level":"ERROR"' "$work/serve-$((port + i)).log" | cut -c1-300 || true
done

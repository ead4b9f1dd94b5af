#!/usr/bin/env bash
# Measures the scaling curve of issue 10: `dancu bench` against 1, 2 and 3
# `dancu serve` processes sharing one PostgreSQL database, the bench's
# connections spread over them in turn. For each run it reports the
# throughput and the CPU time the dancu processes and the database's
# backends (those connected to DB) spent, so that throughput per core can
# be computed on a machine too small to give each process cores of its own.
#
# Usage: scripts/bench-processes.sh DSN [COUNTS]
#   DSN     postgres://... of a database holding a generated population
#           (dancu generate --citizens 100000 --db DSN)
#   COUNTS  process counts to run (default "1 2 3")
# Environment: DURATION (30s), CONNECTIONS (48), MIX (bench's default),
#   PORT (18081: processes listen on PORT, PORT+1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
dsn=$1
counts=${2:-1 2 3}
duration=${DURATION:-30s}
conns=${CONNECTIONS:-48}
port=${PORT:-18081}
db=$(sed -E 's|.*/([^/?]+)(\?.*)?$|\1|' <<<"$dsn")
work=$(mktemp -d)
bin=$work/dancu
export DANCU_ADMIN_TOKEN=bench-admin-token-0123456789
go build -o "$bin" ./cmd/dancu

# ticks PID... prints "pid ticks" for each process still running: the user
# and system clock ticks it has used.
ticks() { for p in "$@"; do awk -v p="$p" '{print p, $14+$15}' "/proc/$p/stat" 2>/dev/null || true; done; }
# used BEFORE AFTER sums, over the processes in AFTER, the ticks used since
# BEFORE (all of them for a process started since). A database backend that
# ended during the run is lost; the pools keep theirs open, so few do.
used() { awk 'NR == FNR {t0[$1] = $2; next} {s += $2 - t0[$1]} END {print s + 0}' "$1" "$2"; }
pgpids() { psql "$dsn" -qtAc "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()"; }
hz=$(getconf CLK_TCK)

for n in $counts; do
  pids=() urls=()
  for i in $(seq 0 $((n - 1))); do
    p=$((port + i))
    DANCU_PUBLIC_URL=http://127.0.0.1:$port "$bin" serve --db "$dsn" --addr 127.0.0.1:$p --log-level warn > "$work/serve-$p.log" 2>&1 &
    pids+=($!) urls+=(http://127.0.0.1:$p)
  done
  for u in "${urls[@]}"; do
    for _ in $(seq 1 120); do curl -fs "$u/readyz" >/dev/null && break; sleep 0.5; done
  done
  list=$(IFS=,; echo "${urls[*]}")
  # A short warm-up, so that pools and caches are filled before measuring.
  "$bin" bench --url "$list" --issuer "http://127.0.0.1:$port" --duration 5s --connections "$conns" > /dev/null 2>&1 || true
  ticks "${pids[@]}" > "$work/d0"; ticks $(pgpids) > "$work/p0"; t0=$(date +%s.%N)
  "$bin" bench --url "$list" --issuer "http://127.0.0.1:$port" --duration "$duration" --connections "$conns" \
    ${MIX:+--mix "$MIX"} > "$work/bench-$n.txt" 2>&1 || true
  t1=$(date +%s.%N); ticks "${pids[@]}" > "$work/d1"; ticks $(pgpids) > "$work/p1"
  all=$(awk '$1 == "all" {print $3}' "$work/bench-$n.txt")
  requests=$(awk '$1 == "all" {print $2}' "$work/bench-$n.txt")
  echo "== $n process(es)"
  cat "$work/bench-$n.txt"
  awk -v n="$n" -v req="$requests" -v rps="$all" -v d="$(used "$work/d0" "$work/d1")" -v p="$(used "$work/p0" "$work/p1")" -v hz="$hz" -v wall="$(echo "$t1 - $t0" | bc)" 'BEGIN {
    dc = d / hz; pc = p / hz
    printf "processes %d: %s req/s; dancu %.1f CPU-s (%.2f cores), PostgreSQL %.1f CPU-s (%.2f cores) over %.1f s\n", n, rps, dc, dc / wall, pc, pc / wall, wall
    printf "requests per dancu CPU-second: %.0f; per CPU-second of dancu and PostgreSQL: %.0f\n", req / dc, req / (dc + pc)
  }'
  kill "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
done
rm -rf "$work"

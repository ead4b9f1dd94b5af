#!/usr/bin/env bash
# Compares the read API's tail latency of two dancu versions on one 1M-person
# data folder, alternating them round after round (the machine is shared:
# only figures measured side by side compare). For each version and round:
# GET /v1/citizens/{pin} and the search by name and birth year with wrk (32
# connections), p50/p90/p99/max, req/s and the server's CPU per request; and,
# for versions that export them, the access log's write path from /metrics:
# how long reads waited for their entries to be durable, and the group
# commits' and person-index transactions' times (mean and share over 10 ms /
# 100 ms).
#
# Usage: scripts/bench-http-p99.sh DIR ROUNDS OLD-COMMIT [NEW-BIN]
#   DIR         a data folder made by dancu generate (see scripts/bench-http.sh);
#               the runs append to its access log, which both versions share.
#               OLD-DIR,NEW-DIR gives each version a copy of its own, needed
#               once the new version has migrated the folder's schema past
#               what the old one knows
#   OLD-COMMIT  built into a temporary binary (e.g. f4e4b99, before the fix)
#   NEW-BIN     default: built from the working tree
# Environment: DURATION (15s), CONNECTIONS (32), ADDR (127.0.0.1:18093).
# Card issuing and the statistics feed are held off, as BENCHMARKS.md does.
# Needs wrk, curl, sqlite3 and git.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1%%,*} newdir=${1##*,} rounds=$2 old=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/src" "$old"
(cd "$tmp/src" && go build -o "$tmp/old" ./cmd/dancu)
git worktree remove --force "$tmp/src"
new=${4:-$tmp/new}
[ -n "${4:-}" ] || go build -o "$new" ./cmd/dancu
addr=${ADDR:-127.0.0.1:18093}
duration=${DURATION:-15s}
conns=${CONNECTIONS:-32}
export DANCU_ADMIN_TOKEN=bench-admin-token-0123456789 TOKEN=bench-admin-token-0123456789
export DANCU_CARD_ISSUE_INTERVAL=1000h DANCU_STATS_FEED=false
[ -f "$dir/pins.txt" ] || sqlite3 "$dir/dancu.db" "SELECT pin FROM persons WHERE abs(random()) % 50 = 0 LIMIT 20000" > "$dir/pins.txt"
[ -f "$dir/names.txt" ] || sqlite3 -separator ' ' "$dir/dancu.db" \
  "SELECT replace(name_key,' ','+'), birth_year FROM persons WHERE abs(random()) % 200 = 0 LIMIT 5000" > "$dir/names.txt"
ticks=$(getconf CLK_TCK)
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# histo METRIC FILE: count, mean (ms), share over 10 ms and over 100 ms.
histo() {
  awk -v m="$1" '
    $1 == m "_count" {n = $2} $1 == m "_sum" {s = $2}
    index($1, m "_bucket{le=\"0.01\"}") == 1 {b10 = $2}
    index($1, m "_bucket{le=\"0.1\"}") == 1 {b100 = $2}
    END { if (n > 0) printf "%s: n=%d mean=%.1fms >10ms=%.1f%% >100ms=%.2f%%", m, n, 1000*s/n, 100*(n-b10)/n, 100*(n-b100)/n }' "$2"
}

measure() { # round bin name pid wrk-args...
  local round=$1 bin=$2 name=$3 pid=$4
  shift 4
  curl -sf "http://$addr/metrics" > "$tmp/m0" || true
  local c0 c1 out n
  c0=$(cputicks "$pid")
  out=$(wrk "$@" 2>&1)
  c1=$(cputicks "$pid")
  curl -sf "http://$addr/metrics" > "$tmp/m1" || true
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "round=$round bin=$bin $name" \
    "req/s=$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "p50=$(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "p90=$(echo "$out" | awk '$1 == "90%" {print $2}')" \
    "p99=$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "max=$(echo "$out" | awk '$1 == "Latency" {print $4}')" \
    "cpu_us_per_request=$(( (c1 - c0) * 1000000 / ticks / (n > 0 ? n : 1) ))"
  # The access log's histograms over this run only (new minus old counts).
  if grep -q '^dancu_access_log_record_seconds_count' "$tmp/m1"; then
    awk 'NR == FNR {a[$1] = $2; next} /^dancu_access_log_/ {print $1, $2 - a[$1]}' "$tmp/m0" "$tmp/m1" > "$tmp/md"
    for m in record commit index; do echo "    $(histo dancu_access_log_${m}_seconds "$tmp/md")"; done
  fi
}

for round in $(seq 1 "$rounds"); do
  for v in old new; do
    bin=$tmp/old data=$dir
    [ $v = new ] && bin=$new data=$newdir
    "$bin" serve --data "$data" --addr "$addr" --log-level warn > "$tmp/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 240); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.5; done
    PINS="$dir/pins.txt" measure "$round" "$v" get "$server" \
      -t1 -c"$conns" -d"$duration" --latency -s scripts/wrk-citizen.lua "http://$addr"
    NAMES="$dir/names.txt" measure "$round" "$v" search "$server" \
      -t1 -c"$conns" -d"$duration" --latency -s scripts/wrk-search.lua "http://$addr"
    kill "$server"
    wait "$server" 2>/dev/null || true
  done
done

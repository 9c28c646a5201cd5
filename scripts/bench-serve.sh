#!/usr/bin/env bash
# Measures, with the built binary and the shared data: import time of the registry and
# gazetteer, RSS of `serve` with the registry loaded (idle and after load), and, where wrk
# is installed, throughput and latency of the search API over loopback for a PLZ mix.
# Usage: scripts/bench-serve.sh BIN SHARED_DATA_DIR
set -euo pipefail
bin=${1:?binary}
shared=${2:?shared data dir}
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

ms() { date +%s%3N; }
t0=$(ms)
"$bin" import --db "$work/a.db" registry "$shared/pharmacies_de.csv" >/dev/null
t1=$(ms)
"$bin" import --db "$work/a.db" gazetteer "$shared/geonames_de_postcodes.csv" >/dev/null
t2=$(ms)
"$bin" import --db "$work/a.db" registry "$shared/pharmacies_de.csv" >/dev/null
t3=$(ms)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --db "$work/a.db" --addr "127.0.0.1:$port" --log-level warn &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$pid/status"; }
idle=$(rss)

printf '%-44s %s\n' "measure" "value"
printf '%-44s %s ms\n' "import registry (18,666, new database)" $((t1 - t0))
printf '%-44s %s ms\n' "import gazetteer (23,297 postcodes)" $((t2 - t1))
printf '%-44s %s ms\n' "re-import registry (all updated)" $((t3 - t2))
printf '%-44s %s\n' "serve RSS, registry loaded, idle" "$idle"

if command -v wrk >/dev/null 2>&1; then
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
  read -r _ rps p50 p99 errs < <(PLZ_FILE="$work/plz.txt" wrk -t2 -c32 -d10s -s "$work/mix.lua" "http://127.0.0.1:$port" | grep '^WRK')
  printf '%-44s %s req/s, p50 %s ms, p99 %s ms, %s errors\n' "search API, random PLZ (wrk, 32 conns, 10 s)" "$rps" "$p50" "$p99" "$errs"
  printf '%-44s %s\n' "serve RSS after the wrk run" "$(rss)"
fi

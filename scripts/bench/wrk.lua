-- The wrk script of make bench. Every load run uses it, the ceilings' too, so the client
-- costs the same on both sides of a ratio. What it asks for, by environment:
--   PLZ_FILE and PREFIX: PREFIX .. a PLZ of PLZ_FILE (one a line), rank k drawn with weight
--                        1/k (Zipf, s = 1); with PREFIX2 and SHARE2, that share of the
--                        requests asks PREFIX2 .. the PLZ instead (the English pages);
--   DISTINCT=1:          the search API at a new random place in Germany every request
--                        (10 km, 20 results; practically never cached); with MEILI_KEY
--                        and MEILI_INDEX, the same query sent straight to Meilisearch;
--   neither:             wrk's own request for the URL, unchanged.
-- At the end it prints one line: WRK req/s p50_ms p99_ms non2xx/socket_errors.

local plz_file, prefix = os.getenv("PLZ_FILE"), os.getenv("PREFIX")
local prefix2, share2 = os.getenv("PREFIX2"), tonumber(os.getenv("SHARE2") or "0")
-- Each run draws anew (runs are seconds apart): DISTINCT's positions stay uncached when
-- a row is run more than once.
math.randomseed(os.time())

if plz_file and prefix then
  local plz, cum, total = {}, {}, 0
  for line in io.lines(plz_file) do
    plz[#plz + 1] = line
    total = total + 1 / #plz
    cum[#plz] = total
  end
  setup = function(thread) thread:set("seed", math.random(1e9)) end
  init = function() math.randomseed(seed) end
  request = function()
    local r, lo, hi = math.random() * total, 1, #cum
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cum[mid] < r then lo = mid + 1 else hi = mid end
    end
    if prefix2 and math.random() < share2 then return wrk.format("GET", prefix2 .. plz[lo]) end
    return wrk.format("GET", prefix .. plz[lo])
  end
elseif os.getenv("DISTINCT") == "1" then
  setup = function(thread) thread:set("seed", math.random(1e9)) end
  init = function() math.randomseed(seed) end
  local key, index = os.getenv("MEILI_KEY"), os.getenv("MEILI_INDEX")
  request = function()
    local lat, lon = 47.5 + math.random() * 7, 6.5 + math.random() * 8
    if key then
      local body = string.format('{"filter":"_geoRadius(%.4f, %.4f, 10000)","sort":["_geoPoint(%.4f, %.4f):asc"],"limit":20}', lat, lon, lat, lon)
      return wrk.format("POST", "/indexes/" .. index .. "/search",
        {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
    end
    return wrk.format("GET", string.format("/api/v1/pharmacies?lat=%.4f&lon=%.4f&radius_km=10&limit=20", lat, lon))
  end
end

done = function(summary, latency)
  local e = summary.errors
  io.write(string.format("WRK %.0f %.2f %.2f %d/%d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end

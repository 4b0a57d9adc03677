-- bench/serve.lua: wrk script for bench/run-serve.sh. Each request is the next
-- of a fixed list of dashboard report queries (the token comes from
-- $AICOST_TOKEN); with SERVE_DISTINCT=1 every request also gets a `from` day of
-- its own, so no two requests share a cache entry (the uncached worst case).
local token = os.getenv("AICOST_TOKEN") or ""
local distinct = os.getenv("SERVE_DISTINCT") == "1"
local paths = {
  "/api/report?by=team",
  "/api/report?by=team,month",
  "/api/report?by=ServiceName",
  "/api/report?by=day",
  "/api/report?by=team&where=ServiceCategory=Compute",
  "/api/report?by=ServiceName,team&from=2026-08-01&to=2026-08-31",
  "/api/report?by=RegionId&cost=billed",
  "/api/report?by=SubAccountName,month",
}
local n = 0
local thread_id = 0
local counter = 0

setup = function(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

request = function()
  n = n + 1
  local p = paths[(n % #paths) + 1]
  if distinct then
    -- a distinct start day per request: 2026-07-01 plus up to 60 days, and a distinct to-day per thread
    local d = (n * 7 + thread_id * 13) % 61
    local from = os.date("!%Y-%m-%d", 1782864000 + d * 86400)
    p = "/api/report?by=team&from=" .. from .. "&to=2026-09-" .. string.format("%02d", 10 + (n + thread_id) % 20)
  end
  return wrk.format("GET", p, { ["Authorization"] = "Bearer " .. token })
end

done = function(summary, latency, requests)
  io.write(string.format("summary: requests=%d duration_s=%.1f rps=%.0f errors_status=%d errors_timeout=%d errors_connect=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.status, summary.errors.timeout, summary.errors.connect))
  io.write(string.format("latency_ms: p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end

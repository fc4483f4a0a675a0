-- wrk script for `make bench` (bench/run.py runs wrk with it; see bench/run.py).
--
-- Environment: BENCH_WRK_METHOD and BENCH_WRK_BODY (optional) set the request; headers come from
-- wrk's -H options. BENCH_WRK_EXPECT is the status every response must have (default 200).
-- BENCH_WRK_OUT names the file that done() writes the JSON summary to: latencies in
-- microseconds (p50/p95/p99 from wrk's own histogram), request and byte totals, wrk's error
-- counters and the number of responses with another status than expected (wrk itself counts
-- only statuses above 399, so a redirect to the login page would pass unnoticed).

local method = os.getenv("BENCH_WRK_METHOD")
local body = os.getenv("BENCH_WRK_BODY")
if method ~= nil and method ~= "" then
  wrk.method = method
end
if body ~= nil and body ~= "" then
  wrk.body = body
end

local expect = tonumber(os.getenv("BENCH_WRK_EXPECT") or "") or 200
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local unexpected_total = 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
  end
  local errors = summary.errors
  local json = string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "min": %d, "max": %d, '
      .. '"mean": %.1f, "stdev": %.1f}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
      .. '"unexpected_status": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.min, latency.max, latency.mean, latency.stdev,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    unexpected_total)
  local path = os.getenv("BENCH_WRK_OUT")
  if path == nil or path == "" then
    io.write(json)
    return
  end
  local file = assert(io.open(path, "w"))
  file:write(json)
  file:close()
end

-- wrk script for driftguard's load bench: POSTs the AdmissionReview bodies named after `--` to
-- /validate, cycling through them (wrk's static body cannot vary), and prints one machine-readable
-- summary line in done(), because wrk's own output stops at p99 and the bench also reports p99.9.

local requests = {}
local count = 0
local next_index = 0
local threads = 0

-- Runs in the main Lua state once per thread: give each thread its own starting body, so that the
-- mix stays even however few requests a short run sends.
function setup(thread)
  thread:set("start_offset", threads)
  threads = threads + 1
end

function init(args)
  for _, path in ipairs(args) do
    local file = assert(io.open(path, "rb"))
    local body = file:read("*a")
    file:close()
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
    requests[#requests + 1] = wrk.format("POST", "/validate", wrk.headers, body)
  end
  count = #requests
  assert(count > 0, "no request bodies given after --")
  next_index = (start_offset or 0) % count
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_SUMMARY requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end

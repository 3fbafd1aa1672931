-- POST /api/v1/public/requests with a unique mobile number and Idempotency-Key per request,
-- as a portal would send them. BENCH_RUN (from the environment) keeps runs apart.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local threads = {}
local counter = 0
local run = tonumber(os.getenv("BENCH_RUN") or "0") % 10

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  -- 091 + run digit + thread digit + 6-digit counter: unique within a load of < 10^6 per thread.
  local serial = string.format("%d%d%06d", run, tid % 10, counter % 1000000)
  local mobile = "091" .. serial
  local body = '{"name": "مریم حسینی", "mobile": "' .. mobile .. '", ' ..
    '"text": "شکایت از طولانی بودن زمان انتظار در بخش اورژانس بیمارستان و برخورد نامناسب کارکنان پذیرش", ' ..
    '"proposed_kind": "complaint"}'
  return wrk.format("POST", "/api/v1/public/requests", {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. os.getenv("BENCH_RUN") .. "-" .. serial,
  }, body)
end

done = common.done

-- GET /api/v1/public/requests/{code} for codes drawn at random from BENCH_CODES (one per line),
-- sampled by the driver from the whole table.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do
  codes[#codes + 1] = line
end

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  return wrk.format("GET", "/api/v1/public/requests/" .. codes[math.random(#codes)])
end

done = common.done

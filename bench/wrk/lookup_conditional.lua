-- GET /api/v1/public/requests/{code} with If-None-Match: the tag of the view it last read, as a
-- polling portal sends it, so every answer is 304. BENCH_TAGS has one "code tag" per line,
-- read by the driver from the server before the load.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local codes, tags = {}, {}
for line in io.lines(os.getenv("BENCH_TAGS")) do
  local code, tag = line:match("^(%S+) (.+)$")
  codes[#codes + 1] = code
  tags[#tags + 1] = tag
end

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  local i = math.random(#codes)
  return wrk.format("GET", "/api/v1/public/requests/" .. codes[i], { ["If-None-Match"] = tags[i] })
end

done = common.done

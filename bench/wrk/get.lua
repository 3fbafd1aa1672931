-- GET the URL given on the command line (with its headers): the trivial endpoint and the staff
-- list pages.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
done = common.done

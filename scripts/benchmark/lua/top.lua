-- GET /api/counters/top: the sample cached read, served from the shared cache or, on the
-- server started with TOP_COUNTERS_TTL_SECONDS=0, computed from the table every time.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("common")

wrk.method = "GET"
wrk.path = "/api/counters/top?limit=10"

setup = bench.setup
done = bench.done

function response(status, _headers, body)
   bench.count_status(status)
   -- A list that lacks the seeded leader was not read from the seeded table.
   if status == 200 and not body:find('"seed-', 1, true) then
      bench.count_wrong_answer()
   end
end

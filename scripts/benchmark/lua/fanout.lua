-- GET /api/async/fanout: one async view awaiting 10 concurrent 50 ms sleeps per request.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("common")

wrk.method = "GET"
wrk.path = "/api/async/fanout?tasks=10&delay=0.05"

setup = bench.setup
done = bench.done

function response(status, _headers, _body)
   bench.count_status(status)
end

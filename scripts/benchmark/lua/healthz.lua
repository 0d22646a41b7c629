-- GET /healthz: the service's cheapest route (also the route of the bare-Flask ceiling).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("common")

wrk.method = "GET"
wrk.path = "/healthz"

setup = bench.setup
done = bench.done

-- Defined only to count statuses; the request itself stays the static one wrk builds.
function response(status, _headers, _body)
   bench.count_status(status)
end

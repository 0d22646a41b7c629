-- POST /api/session/login with the right password, again and again: what a login costs
-- (one Argon2id verification, the throttle's places, a new session). Thread N is bench-N,
-- signed up before the run (mix_users.py), with the password given as the first script
-- argument (after "--"). No cookie is sent: each login starts a new session, as a new
-- visitor's would.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("common")

local body = nil

setup = bench.setup
done = bench.done

function init(args)
   -- written as it is: no quote or backslash in the password (mix_users.py)
   body = string.format('{"username":"bench-%d","password":"%s"}', thread_id, args[1] or "")
end

function request()
   return wrk.format("POST", "/api/session/login", { ["Content-Type"] = "application/json" }, body)
end

-- Anything but a 200 is a login the run did not mean to measure (a 401 or 429: the users
-- are signed up and give their places back); a 503 is the service at capacity.
function response(status, _headers, _body)
   bench.count_status(status)
   if status >= 400 and status <= 499 then
      bench.count_wrong_answer()
   end
end

-- A realistic session mix, played against the service and the naive app alike. Run with as
-- many threads as connections (-t N -c N): each thread then has one connection and plays one
-- user with its own session, in order:
--   login, then cycles of GET /api/session, POST /api/session/items, POST /api/counters/bench,
--   and after 50 cycles a logout and a fresh login.
-- Thread N is bench-N, who logs in with the password given as the first script argument
-- (after "--"), signed up before the run (mix_users.py); without one, by name alone (a
-- service from before accounts).
-- State advances in response(), not request(): a request lost to a reconnect is sent again
-- instead of being skipped, so the sequence seen by the server is the one above.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local bench = require("common")

-- A session's items, and so the cost of reading and writing it, grow with each cycle: a
-- session short enough to be replayed many times in a run keeps that cost the same for a
-- fast server and a slow one, which would otherwise reach larger sessions in the same
-- time. (A session holds at most 500 items, then 409.) The second script argument overrides
-- it.
local cycles_per_session = 50
local STEPS_PER_CYCLE = 3

local cookie = nil -- "name=value" of the session cookie, nil while logged out
local phase = "login" -- login | cycle | logout
local cycle = 0
local step = 1
local items_sent = 0
local password = nil

setup = bench.setup
done = bench.done

function init(args)
   if args[1] and args[1] ~= "" then
      password = args[1]
   end
   cycles_per_session = tonumber(args[2]) or cycles_per_session
end

local function json_post(path, body)
   local headers = { ["Content-Type"] = "application/json" }
   if cookie then
      headers["Cookie"] = cookie
   end
   return wrk.format("POST", path, headers, body)
end

function request()
   if phase == "login" then
      -- No cookie: a login always starts from nothing, as a new visitor would.
      cookie = nil
      local body = string.format('{"username":"bench-%d"}', thread_id)
      if password then -- written as it is: no quote or backslash in it (mix_users.py)
         body = string.format('{"username":"bench-%d","password":"%s"}', thread_id, password)
      end
      return json_post("/api/session/login", body)
   elseif phase == "logout" then
      return json_post("/api/session/logout", nil)
   elseif step == 1 then
      return wrk.format("GET", "/api/session", { ["Cookie"] = cookie })
   elseif step == 2 then
      return json_post("/api/session/items", string.format('{"item":"item-%d"}', items_sent))
   end
   return json_post("/api/counters/bench", nil)
end

local function header(headers, wanted)
   for name, value in pairs(headers) do
      if string.lower(name) == wanted then
         return value
      end
   end
   return nil
end

-- wrk hands a script one header per name, the last one sent. Of the two cookies the service
-- sets together, the session cookie and its freshness marker, that is the session cookie
-- (the service sends it last); a browser would keep the marker too, so it is sent along.
-- An empty value means the session cookie was deleted.
local SESSION_COOKIE = "session"
local FRESH_MARKER = "session_fresh=1"

local function remember_cookie(headers)
   local set_cookie = header(headers, "set-cookie")
   if not set_cookie then
      return
   end
   local name, value = set_cookie:match("^%s*([^=;]+)=([^;]*)")
   if name ~= SESSION_COOKIE then
      return
   end
   if value ~= "" then
      cookie = SESSION_COOKIE .. "=" .. value .. "; " .. FRESH_MARKER
   else
      cookie = nil
   end
end

-- A login must hand back a session cookie, and a logged-in user's read must name that user:
-- otherwise the script has lost the session and the run measures something else than the mix.
-- A login refused as the client's fault (401: not signed up, or the wrong password; 422; 429)
-- is one too: the users are signed up before the run. (A 503 is the service at capacity.)
local function check_answer(status, body)
   local succeeded = status >= 200 and status <= 299
   if phase == "login" and status >= 400 and status <= 499 then
      bench.count_wrong_answer()
   elseif phase == "login" and succeeded and not cookie then
      bench.count_wrong_answer()
   elseif phase == "cycle" and step == 1 and status == 200 then
      if not body:find(string.format('"bench-%d"', thread_id), 1, true) then
         bench.count_wrong_answer()
      end
   end
end

local function advance(succeeded)
   if phase == "login" then
      if succeeded and cookie then
         phase, cycle, step = "cycle", 0, 1
      end
   elseif phase == "logout" then
      phase = "login"
   else
      if step == 2 and succeeded then
         items_sent = items_sent + 1
      end
      step = step + 1
      if step > STEPS_PER_CYCLE then
         step, cycle = 1, cycle + 1
         if cycle >= cycles_per_session then
            phase = "logout"
         end
      end
   end
end

function response(status, headers, body)
   bench.count_status(status)
   remember_cookie(headers)
   check_answer(status, body)
   advance(status >= 200 and status <= 299)
end

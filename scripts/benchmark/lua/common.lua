-- Shared by the wrk scripts of scripts/benchmark/: numbers each thread, counts the status
-- of every response, and prints one machine-readable summary line when the run is done.
--
-- wrk gives each thread its own Lua state, so per-thread counts live in globals there and
-- done() (in yet another state) reads them back through thread:get().

local bench = {}

-- setup() runs in the main state; it keeps the thread handles for done().
local threads = {}

-- Per-thread globals: status code -> responses seen with it, and answers a script found
-- wrong (a scenario's own check).
statuses = {}
wrong_answers = 0

function bench.setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

function bench.count_status(status)
   statuses[status] = (statuses[status] or 0) + 1
end

function bench.count_wrong_answer()
   wrong_answers = wrong_answers + 1
end

local function total_wrong_answers()
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + (thread:get("wrong_answers") or 0)
   end
   return total
end

local function merged_statuses()
   local totals = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses") or {}) do
         totals[status] = (totals[status] or 0) + count
      end
   end
   return totals
end

-- One line, prefixed so that the caller can find it among wrk's own output.
function bench.done(summary, latency, _requests)
   local non_2xx = 0
   local parts = {}
   for status, count in pairs(merged_statuses()) do
      if status < 200 or status > 299 then
         non_2xx = non_2xx + count
      end
      table.insert(parts, string.format('"%d":%d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
      '"non_2xx":%d,"socket_errors":%d,"timeouts":%d,"wrong_answers":%d,"statuses":{%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      non_2xx, errors.connect + errors.read + errors.write, errors.timeout, total_wrong_answers(),
      table.concat(parts, ",")))
end

return bench

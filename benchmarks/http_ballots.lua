-- wrk script for `ballroom bench http`: POST web ballots, one random voter per request.
--
--   wrk -t1 -c32 -d10s -s benchmarks/http_ballots.lua http://127.0.0.1:PORT \
--       -- TOKENS_FILE /api/v1/windows/WINDOW/ballots robert,alix,... PREFIX OUT_FILE
--
-- Every request: a bearer token picked at random from TOKENS_FILE (one per line), a valid
-- random allocation of 0-10 votes to each couple, and an Idempotency-Key that is unique
-- across runs (PREFIX-thread-counter; the caller puts the run's window id in PREFIX). Each thread keeps the receipt `seq` of every 2xx
-- answer, so the caller can check afterwards that every acknowledged ballot is stored once.
-- done() writes OUT_FILE (one JSON object) and OUT_FILE.seqs (one acknowledged seq a line).

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   tokens = {}
   for line in io.lines(args[1]) do
      if #line > 0 then
         tokens[#tokens + 1] = "Bearer " .. line
      end
   end
   path = args[2]
   couples = {}
   for couple in string.gmatch(args[3], "[^,]+") do
      couples[#couples + 1] = couple
   end
   prefix = args[4] .. "-" .. thread_id .. "-"
   out_file = args[5]
   counter = 0
   acked = {}
   statuses = {}
   math.randomseed(os.time() * 1000 + thread_id)
   headers = { ["Content-Type"] = "application/json" }
end

function request()
   counter = counter + 1
   local parts = {}
   for i = 1, #couples do
      parts[i] = '"' .. couples[i] .. '":' .. math.random(0, 10)
   end
   headers["Authorization"] = tokens[math.random(#tokens)]
   headers["Idempotency-Key"] = prefix .. counter
   return wrk.format("POST", path, headers, '{"allocation":{' .. table.concat(parts, ",") .. "}}")
end

function response(status, _, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 200 and status < 300 then
      acked[#acked + 1] = tonumber(string.match(body, '"seq":(%d+)')) or -1
   end
end

local function json_escape(text)
   return (string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end))
end

-- done() runs in its own Lua state where init() never ran: it reads the output path and
-- the counts through the threads' globals.
function done(summary, latency, _)
   local ok, ko, answered = 0, 0, 0
   local by_status = {}
   local seqs = {}
   local out_file = threads[1]:get("out_file")
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         answered = answered + count
         by_status[#by_status + 1] = '"' .. status .. '":' .. count
         if status >= 200 and status < 300 then
            ok = ok + count
         else
            ko = ko + count
         end
      end
      for _, seq in ipairs(thread:get("acked")) do
         seqs[#seqs + 1] = seq
      end
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   local fields = {
      '"requests":' .. summary.requests,
      '"answered":' .. answered,
      '"ok":' .. ok,
      '"non_2xx":' .. ko,
      '"statuses":{' .. table.concat(by_status, ",") .. "}",
      '"socket_errors":{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write
         .. ',"timeout":' .. e.timeout .. "}",
      '"duration_s":' .. string.format("%.6f", seconds),
      '"requests_per_s":' .. string.format("%.3f", summary.requests / seconds),
      '"latency_ms":{"mean":' .. string.format("%.4f", latency.mean / 1000)
         .. ',"p50":' .. string.format("%.4f", latency:percentile(50) / 1000)
         .. ',"p90":' .. string.format("%.4f", latency:percentile(90) / 1000)
         .. ',"p99":' .. string.format("%.4f", latency:percentile(99) / 1000)
         .. ',"max":' .. string.format("%.4f", latency.max / 1000) .. "}",
      '"script":"' .. json_escape("http_ballots.lua") .. '"',
   }
   local out = assert(io.open(out_file, "w"))
   out:write("{" .. table.concat(fields, ",") .. "}\n")
   out:close()
   local lines = assert(io.open(out_file .. ".seqs", "w"))
   for _, seq in ipairs(seqs) do
      lines:write(seq, "\n")
   end
   lines:close()
end

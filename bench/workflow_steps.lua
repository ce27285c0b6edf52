-- wrk script for bench/workflow.sh: case transitions through the API.
--
-- Every request is POST /api/v1/workflow/cases/{id}/steps for one of the
-- cases listed in $CASES_FILE (one id per line, each investigating):
-- "suspend" (中止, for an appraisal) and "resume", alternating per case, so
-- each step moves the case and its open deadlines (paused, then moved on
-- by the suspended days).  Each wrk thread takes every n-th case and
-- cycles through its own, so a case comes round again only after all of
-- the thread's others: with more cases than connections no two requests
-- on one case are in flight.  A case takes at most $STEPS_PER_CASE steps
-- (suspensions a deadline can keep are bounded); then the thread stops
-- asking.  Responses are counted by status; done() prints one line
-- "WRK_RESULT {json}" with wrk's latency percentiles.
--
--   CASES_FILE, TOKEN (a bearer token that may take both events),
--   STEPS_PER_CASE (default 28)

local cases_file = assert(os.getenv("CASES_FILE"), "CASES_FILE is not set")
local token = assert(os.getenv("TOKEN"), "TOKEN is not set")
local steps_per_case = tonumber(os.getenv("STEPS_PER_CASE") or "28")

local threads = {}
function setup(thread)
    threads[#threads + 1] = thread
    thread:set("id", #threads)
    thread:set("nthreads", 0) -- set again below, once all threads exist
end

-- Thread state (globals in the thread's Lua state; done() reads statuses).
statuses = {}
local mine, steps, next_case = {}, {}, 0

function init(args)
    local n, i = tonumber(os.getenv("WRK_THREADS") or "2"), 0
    for line in io.lines(cases_file) do
        if line ~= "" then
            if i % n == id - 1 then mine[#mine + 1] = line end
            i = i + 1
        end
    end
    assert(#mine > 0, "no cases for thread " .. id)
    for k = 1, #mine do steps[k] = 0 end
end

local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
}
local suspend = '{"event":"suspend","suspension_reason":"appraisal","reason":"委托鉴定"}'
local resume = '{"event":"resume","reason":"鉴定意见已出具"}'

function request()
    next_case = next_case % #mine + 1
    local k = next_case
    steps[k] = steps[k] + 1
    if steps[k] > steps_per_case then
        -- Spent: ask for the case (a read) rather than stop wrk mid-run;
        -- counted apart by path, never as a step.
        return wrk.format("GET", "/api/v1/workflow/cases/" .. mine[k], headers)
    end
    local body = (steps[k] % 2 == 1) and suspend or resume
    return wrk.format("POST", "/api/v1/workflow/cases/" .. mine[k] .. "/steps", headers, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local counts = {}
    for _, t in ipairs(threads) do
        for status, n in pairs(t:get("statuses")) do
            counts[tostring(status)] = (counts[tostring(status)] or 0) + n
        end
    end
    local parts = {}
    for status, n in pairs(counts) do
        parts[#parts + 1] = string.format('"%s":%d', status, n)
    end
    io.write(string.format(
        'WRK_RESULT {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},'
        .. '"statuses":{%s},"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p99.9":%d,"max":%d}}\n',
        summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
        summary.errors.write, summary.errors.timeout, summary.errors.status,
        table.concat(parts, ","), latency.mean, latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency:percentile(99.9), latency.max))
end

-- wrk script for bench/intake.sh: POSTs realistic clues to /api/v1/clues.
--
-- Each request is a new clue: about 1 KB of Chinese text in the description,
-- a title, field and region that vary (codes read from reference/*.csv), a
-- location, now and then an occurred_at and a reporter (which intake seals),
-- and a unique Idempotency-Key: a random per-run prefix, the thread's number
-- and a per-thread counter.  Responses are counted by status; done() prints
-- one line "WRK_RESULT {json}" that bench/intake.sh reads.
--
--   GY_REFDATA_DIR   folder with fields.csv and regions.csv (default: reference)

local refdir = os.getenv("GY_REFDATA_DIR") or "reference"

-- First column of each data line of a CSV with a header line; codes have no
-- commas or quotes.  keep(cols) filters rows.
local function read_codes(path, keep)
    local f = assert(io.open(path, "r"), "cannot open " .. path)
    local codes, first = {}, true
    for line in f:lines() do
        if first then
            first = false
        elseif line ~= "" then
            local cols = {}
            for col in (line .. ","):gmatch("([^,]*),") do cols[#cols + 1] = col end
            if not keep or keep(cols) then codes[#codes + 1] = cols end
        end
    end
    f:close()
    return codes
end

local fields = read_codes(refdir .. "/fields.csv")
-- Clues concern a place: cities and counties (level is the third column).
local regions = read_codes(refdir .. "/regions.csv", function(c)
    return c[3] == "county" or c[3] == "city"
end)
assert(#fields > 0 and #regions > 0, "no reference data in " .. refdir)

local subjects = {
    "企业夜间偷排含油污水", "河道旁堆放大量建筑垃圾", "超市销售过期食品", "药店无处方销售处方药",
    "国有资产被低价出租", "耕地上违规建设厂房", "烈士纪念设施年久失修", "学校周边违规经营网吧",
    "建筑工地未设安全防护", "快递面单泄露个人信息", "盲道被机动车长期占用", "古建筑被擅自拆改",
    "农贸市场蔬菜农药残留超标", "电信诈骗团伙使用的电话卡", "小区无障碍坡道被封堵", "公园绿地被圈占",
}

-- Sentences a reporter might write; concatenated to about 1 KB.  No ASCII
-- quotes or backslashes, so they go into JSON as they are.
local sentences = {
    "本人多次路过该处，发现问题已经持续两个多月，周边居民反映强烈。",
    "每天晚上十点以后情况尤其严重，空气中有明显的刺鼻气味，附近河面还漂浮着死鱼。",
    "曾经向有关部门打电话反映过，答复说会派人核查，但至今没有看到任何整改。",
    "现场有明显的痕迹，我拍摄了照片和视频，可以在需要时提供给检察机关。",
    "附近有一所小学和两个居民小区，很多老人和孩子每天经过，存在较大的安全隐患。",
    "据了解，相关单位没有办理任何审批手续，也没有采取必要的防护措施。",
    "希望检察机关能够依法履行公益诉讼职责，督促相关行政机关尽快处理。",
    "问题所在位置比较隐蔽，从主路上不容易看到，需要从东侧的小路进入。",
    "周末白天也能看到有车辆进出，车上装载的物品用篷布遮盖，去向不明。",
    "根据附近商户的说法，类似情况去年也出现过，当时处理以后不久又恢复了原样。",
    "我担心长期下去会对地下水和周边农田造成污染，影响群众的身体健康。",
    "如果需要，我愿意配合现场调查，并提供更详细的时间和地点信息。",
}

local channels = { "web", "app", "wechat", "hotline_12345" }
local streets = { "人民路", "解放路", "建设街", "滨河东路", "和平巷", "新华大街", "工业园区", "城南开发区" }

-- Descriptions are made once per thread and picked per request: building
-- 1 KB strings per request would measure Lua, not intake.
local descriptions = {}
for v = 1, 16 do
    local parts, len, i = {}, 0, v
    while len < 1000 do
        local s = sentences[(i % #sentences) + 1]
        parts[#parts + 1] = s
        len = len + #s
        i = i + v
    end
    descriptions[v] = table.concat(parts)
end

-- Main state: give every thread its number and the run's random prefix.
-- thread:set makes globals in the thread's state: id, prefix.
local threads = {}
local run_prefix
function setup(thread)
    if not run_prefix then
        local f = assert(io.open("/dev/urandom", "rb"))
        local bytes = f:read(6)
        f:close()
        run_prefix = bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)
    end
    threads[#threads + 1] = thread
    thread:set("id", #threads)
    thread:set("prefix", run_prefix)
end

-- Thread state.  statuses is global so that done() can thread:get it.
local counter = 0
statuses = {}

function init(args)
    math.randomseed(id * 7919 + os.time())
end

function request()
    counter = counter + 1
    local n = counter
    local field = fields[(n * 7 + id) % #fields + 1][1]
    local region = regions[(n * 13 + id) % #regions + 1]
    local subject = subjects[(n + id) % #subjects + 1]
    local parts = {
        '{"title":"', region[4], subject, "（第", tostring(n), "号）",
        '","description":"', descriptions[n % #descriptions + 1],
        '","field_code":"', field,
        '","region_code":"', region[1],
        '","location":{"address":"', region[4], streets[n % #streets + 1], tostring(n % 300 + 1), '号附近"',
    }
    if n % 2 == 0 then
        parts[#parts + 1] = string.format(',"lat":%.6f,"lon":%.6f', 30 + math.random() * 10,
                                          110 + math.random() * 10)
    end
    parts[#parts + 1] = '}'
    if n % 3 == 0 then
        parts[#parts + 1] = string.format(',"occurred_at":"2025-%02d-%02dT%02d:30:00+08:00"',
                                          n % 12 + 1, n % 28 + 1, n % 24)
    end
    parts[#parts + 1] = ',"source_channel":"' .. channels[n % #channels + 1] .. '"'
    if n % 4 == 0 then
        parts[#parts + 1] = string.format(',"reporter":{"name":"王某%d","phone":"138%08d"}',
                                          n % 1000, (n * 7919) % 100000000)
    end
    parts[#parts + 1] = '}'
    local headers = {
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = string.format("bench-%s-%d-%d", prefix, id, n),
    }
    return wrk.format("POST", nil, headers, table.concat(parts))
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

-- Main state again, after the run.
function done(summary, latency, requests)
    local merged = {}
    for _, thread in ipairs(threads) do
        local s = thread:get("statuses") or {}
        for code, count in pairs(s) do
            merged[code] = (merged[code] or 0) + count
        end
    end
    local status_json, non201 = {}, 0
    for code, count in pairs(merged) do
        status_json[#status_json + 1] = string.format('"%d":%d', code, count)
        if code ~= 201 then non201 = non201 + count end
    end
    local e = summary.errors
    io.write(string.format(
        'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"created":%d,"non_201":%d,' ..
        '"statuses":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
        '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
        summary.requests, summary.duration, summary.bytes, merged[201] or 0, non201,
        table.concat(status_json, ","), e.connect, e.read, e.write, e.status, e.timeout,
        latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max))
end

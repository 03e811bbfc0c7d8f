-- producer/consumer ping-pong, coroutines in loops, sorted output
local function producer(items)
  return coroutine.create(function()
    for _, it in ipairs(items) do coroutine.yield(it) end
    return nil
  end)
end
local function consumer(prod)
  local got = {}
  while true do
    local ok, v = coroutine.resume(prod)
    if not v then break end
    got[#got+1] = v
  end
  return got
end
print(table.concat(consumer(producer({"a", "b", "c"})), ""))
local total = 0
for i = 1, 200 do
  local co = coroutine.wrap(function(x) local y = coroutine.yield(x * 2); return x + y end)
  local a = co(i)
  local b = co(a)
  total = total + b
end
print(total)
local pingpong = 0
local ping, pong
ping = coroutine.create(function(n)
  while n > 0 do pingpong = pingpong + 1; n = coroutine.yield(n - 1) end
  return "ping done"
end)
local n = 1000
local ok, v = coroutine.resume(ping, n)
while coroutine.status(ping) ~= "dead" do ok, v = coroutine.resume(ping, v) end
print(pingpong, v)
local sched = {}
local log = {}
for id = 1, 3 do
  sched[#sched+1] = coroutine.create(function()
    for step = 1, id do log[#log+1] = id .. ":" .. step; coroutine.yield() end
  end)
end
while #sched > 0 do
  local co = table.remove(sched, 1)
  coroutine.resume(co)
  if coroutine.status(co) ~= "dead" then sched[#sched+1] = co end
end
print(table.concat(log, " "))
local deep = coroutine.wrap(function()
  local function rec(k) if k == 0 then coroutine.yield("bottom") return end rec(k - 1) end
  rec(100)
  return "after"
end)
print(deep(), deep())

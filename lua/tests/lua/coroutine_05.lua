-- coroutine status transitions, wrap in loops, yield from nested calls, resume passing many values
local co
co = coroutine.create(function()
  print("inside", coroutine.status(co))
  local function deep(n) if n == 0 then return coroutine.yield("deep") end return deep(n - 1) end
  local r = deep(20)
  return "returned " .. tostring(r)
end)
print(coroutine.resume(co))
print(coroutine.status(co))
print(coroutine.resume(co, "value"))
print(coroutine.status(co), coroutine.resume(co))
local many = coroutine.create(function(...)
  local n = select("#", ...)
  local back = table.pack(coroutine.yield(n, ...))
  return back.n, table.unpack(back, 1, back.n)
end)
print(coroutine.resume(many, 1, nil, 3, nil))
print(coroutine.resume(many, "a", nil))
local sums = {}
for i = 1, 50 do
  local g = coroutine.wrap(function() for k = 1, i do coroutine.yield(k) end end)
  local s = 0
  for k = 1, i do s = s + g() end
  sums[#sums+1] = s
end
print(sums[1], sums[10], sums[50])
local yielded = {}
local co2 = coroutine.create(function()
  for _, v in ipairs({"a", "b", "c"}) do yielded[#yielded+1] = coroutine.yield(v) end
end)
local _, v = coroutine.resume(co2)
while coroutine.status(co2) == "suspended" do _, v = coroutine.resume(co2, (v or "") .. "!") end
print(table.concat(yielded, " "))
print(coroutine.isyieldable(), coroutine.wrap(function() return coroutine.isyieldable() end)())
local c3 = coroutine.wrap(function() local t = {}; table.sort({3, 2, 1}, function(a, b) return a < b end); return "sorted" end)
print(c3())
print(pcall(coroutine.wrap(function() table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end) end)))

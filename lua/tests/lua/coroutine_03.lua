-- errors inside coroutines, resume dead, yield across pcall
local co = coroutine.create(function() error("oops") end)
print(coroutine.resume(co))
print(coroutine.status(co))
print(coroutine.resume(co))
local co2 = coroutine.create(function() error({code = 5}) end)
local ok, e = coroutine.resume(co2)
print(ok, type(e), e.code)
local co3 = coroutine.create(function()
  local ok, err = pcall(function()
    coroutine.yield("yield inside pcall")
    error("after yield", 0)
  end)
  coroutine.yield("caught: " .. tostring(err))
  return "end"
end)
print(coroutine.resume(co3))
print(coroutine.resume(co3))
print(coroutine.resume(co3))
print(coroutine.status(co3))
print(pcall(coroutine.yield))
local co4 = coroutine.create(function()
  local t = setmetatable({}, {__index = function(_, k) return coroutine.yield(k) end})
  return t.foo .. t.bar
end)
print(coroutine.resume(co4))
print(coroutine.resume(co4, "A"))
print(coroutine.resume(co4, "B"))
local co5 = coroutine.wrap(function(...)
  local args = {...}
  while true do
    local n = select("#", table.unpack(args))
    args = {coroutine.yield(n)}
  end
end)
print(co5(1, 2, 3), co5(), co5(nil, nil))
local co6 = coroutine.create(function() for i = 1, 3 do coroutine.yield(i) end end)
local vals = {}
while true do
  local ok, v = coroutine.resume(co6)
  if not ok or v == nil then break end
  vals[#vals+1] = v
end
print(table.concat(vals, ","), coroutine.status(co6))
print(coroutine.close(co6), coroutine.status(co6))
local co7 = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co7)
print(coroutine.close(co7), coroutine.status(co7))
local co8 = coroutine.create(function() error("x", 0) end)
coroutine.resume(co8)
print(coroutine.close(co8))

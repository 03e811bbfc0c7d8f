-- coroutine.close runs pending to-be-closed variables; errors inside coroutines and wraps
local function closer(tag, fail)
  return setmetatable({}, {__close = function(_, e)
    print("close", tag, e)
    if fail then error(tag .. " fails", 0) end
  end})
end
-- suspended: closed with nil, innermost first
local co = coroutine.create(function()
  local a <close> = closer("a")
  local b <close> = closer("b")
  coroutine.yield(1)
  print("never")
end)
print(coroutine.resume(co))
print(coroutine.close(co), coroutine.status(co))
print(coroutine.close(co))
-- dead of an error: its variables wait for close, which gets the error
local co2 = coroutine.create(function()
  local c <close> = closer("c")
  error("died", 0)
end)
print(coroutine.resume(co2))
print(coroutine.status(co2))
print(coroutine.close(co2))
print(coroutine.close(co2))
-- a closer that fails while closing: close returns false and that error
local co3 = coroutine.create(function()
  local d <close> = closer("d")
  local e <close> = closer("e", true)
  coroutine.yield()
end)
coroutine.resume(co3)
print(coroutine.close(co3))
-- nothing to close
local co4 = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co4)
print(coroutine.close(co4), coroutine.status(co4))
print(coroutine.close(coroutine.create(print)))
-- a wrapped coroutine that errors closes its variables before the error goes on
local w = coroutine.wrap(function()
  local f <close> = closer("f")
  error("wrapped", 0)
end)
print(pcall(w))
-- close from pcall, and the errors close gives
print(pcall(coroutine.close, coroutine.create(function() end)))
print(pcall(coroutine.close, 42))
print(select(2, pcall(coroutine.close, coroutine.running())))
local outer
outer = coroutine.create(function()
  local inner = coroutine.create(function() return coroutine.close(outer) end)
  return coroutine.resume(inner)
end)
print(coroutine.resume(outer))
-- closing coroutines in a loop that a trace runs
local n = 0
for i = 1, 100 do
  local c = coroutine.create(function()
    local g <close> = setmetatable({}, {__close = function() n = n + 1 end})
    coroutine.yield(i)
  end)
  coroutine.resume(c)
  if i % 3 == 0 then coroutine.close(c) end
end
print("closed", n)

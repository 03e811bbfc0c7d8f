-- bench: generator ping-pong with coroutines
local N = tonumber(arg and arg[1]) or 6000000
local gen = coroutine.wrap(function()
  local i = 0
  while true do i = i + 1; coroutine.yield(i) end
end)
local s = 0
for i = 1, N do s = s + gen() end
local co = coroutine.create(function(x) while true do x = coroutine.yield(x * 2) end end)
local v = 1
for i = 1, math.floor(N / 2) do local _; _, v = coroutine.resume(co, v % 1000 + 1) end
print(s, v)

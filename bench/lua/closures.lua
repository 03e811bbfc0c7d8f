-- bench: closure creation and calls, upvalue access
local N = tonumber(arg and arg[1]) or 8000000
local function make_adder(k) return function(x) return x + k end end
local total = 0
for i = 1, N do
  local f = make_adder(i)
  total = total + f(1)
end
local count = 0
local inc = function() count = count + 1 end
for i = 1, N do inc() end
local fs = {}
for i = 1, 100 do fs[i] = make_adder(i) end
local s = 0
for r = 1, math.floor(N / 100) do for i = 1, 100 do s = fs[i](s) % 1000003 end end
print(total, count, s)

-- many closures created in a hot loop
local total = 0
for i = 1, 10000 do
  local f = function(a) return a + i end
  total = total + f(1)
end
print(total)
local fns = {}
for i = 1, 100 do
  fns[i] = function(x) return x * i end
end
local s = 0
for r = 1, 100 do
  for i = 1, 100 do s = s + fns[i](r) end
end
print(s)
local function compose(f, g) return function(...) return f(g(...)) end end
local inc = function(x) return x + 1 end
local dbl = function(x) return x * 2 end
local h = compose(inc, dbl)
local h2 = compose(h, h)
print(h(5), h2(5))
local function curry3(f) return function(a) return function(b) return function(c) return f(a, b, c) end end end end
print(curry3(function(a, b, c) return a * 100 + b * 10 + c end)(1)(2)(3))
local memo = {}
local function mfib(n)
  if n < 2 then return n end
  local m = memo[n]
  if m then return m end
  m = mfib(n - 1) + mfib(n - 2)
  memo[n] = m
  return m
end
print(mfib(80))

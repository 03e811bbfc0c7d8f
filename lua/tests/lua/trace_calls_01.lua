-- call sites whose callee changes, recursion inside loops, calls to builtins
local fs = {function(x) return x + 1 end, function(x) return x * 2 end, function(x) return x - 3 end}
local v = 0
for i = 1, 600 do v = fs[i % 3 + 1](v) % 100003 end
print(v)
local f = function(x) return x end
local s = 0
for i = 1, 500 do
  if i == 250 then f = function(x) return -x end end
  s = s + f(i)
end
print(s)
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local t = 0
for i = 1, 20 do t = t + fib(i % 15) end
print(t)
local b = 0
for i = 1, 500 do b = b + math.max(i % 7, i % 11) + math.abs(-i) + #tostring(i) end
print(b)
local callee = setmetatable({}, {__call = function(_, x) return x * 3 end})
local g = function(x) return x * 3 end
local c = 0
for i = 1, 400 do local h = (i % 2 == 0) and callee or g; c = c + h(i) end
print(c)
local function va(...) return select("#", ...) end
local n = 0
for i = 1, 300 do n = n + va(table.unpack({1, 2, 3}, 1, i % 4)) end
print(n)
local m = {}
function m.a(x) return x + 1 end
function m.b(x) return x + 2 end
local k = 0
for i = 1, 300 do k = k + m[(i % 2 == 0) and "a" or "b"](i) end
print(k)

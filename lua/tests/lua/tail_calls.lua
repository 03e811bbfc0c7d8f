-- Tail calls the fragments do in place: argument counts 0 to 6 (where the callee's own
-- register is overwritten by the move), self and mutual tail recursion deep enough that a
-- frame per call would overflow, from metamethods, vararg functions, frames with upvalues
-- to close, to natives and to __call.
local function id0() return "none" end
local function id1(a) return a end
local function id2(a, b) return a + b end
local function id3(a, b, c) return a .. b .. c end
local function id5(a, b, c, d, e) return a + b + c + d + e end
local function id6(a, b, c, d, e, f) return a + b + c + d + e + f end
local function t0() return id0() end
local function t1(x) return id1(x) end
local function t2(x) return id2(x, 1) end
local function t3(x) return id3(x, "-", x) end
local function t5(x) return id5(x, 1, 2, 3, 4) end
local function t6(x) return id6(x, 1, 2, 3, 4, 5) end
local s = 0
for i = 1, 300 do
  s = s + t1(i) + t2(i) + t5(i) + t6(i) + #t3(i) + #t0()
end
print(s)

local function count(n, acc) if n == 0 then return acc end return count(n - 1, acc + n) end
print(count(1000000, 0))
local even, odd
function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
print(even(100001), odd(100001))

local V = {}
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__index = function(t, k) return id1(k .. "!") end
local v = vec(1, 2)
for i = 1, 100 do v = -(v + vec(i, i)) end
print(v.x, v.y, v.missing)

local function va(...) return id2(...) end
local function va2(n, ...) if n == 0 then return select("#", ...) end return va2(n - 1, n, ...) end
print(va(3, 4), va2(10))

local fs = {}
local function closer(n)
  local captured = n
  fs[#fs + 1] = function() return captured end
  if n == 0 then return 0 end
  return closer(n - 1)
end
closer(50)
local sum = 0
for i = 1, #fs do sum = sum + fs[i]() end
print(#fs, sum)

local function tomax(a, b) return math.max(a, b) end
local callable = setmetatable({}, {__call = function(self, x) return x * 2 end})
local function tocall(x) return callable(x) end
local m = 0
for i = 1, 200 do m = m + tomax(i, 100) + tocall(i) end
print(m)
print(pcall(function() local function bad() return (nil)() end return bad() end))
print(select("#", (function() return id0() end)()))

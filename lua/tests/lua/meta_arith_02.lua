-- arithmetic metamethods on strings-as-numbers and in loops; __unm, __len
local C = {}
C.__index = C
local function cx(r, i) return setmetatable({r = r, i = i}, C) end
C.__add = function(a, b) return cx(a.r + b.r, a.i + b.i) end
C.__mul = function(a, b) return cx(a.r * b.r - a.i * b.i, a.r * b.i + a.i * b.r) end
C.__eq = function(a, b) return a.r == b.r and a.i == b.i end
local z = cx(0, 0)
local c = cx(0.25, 0.5)
for i = 1, 20 do z = z * z + c end
print(string.format("%.6f %.6f", z.r, z.i))
print(cx(1, 2) == cx(1, 2), cx(1, 2) == cx(2, 1), cx(1, 2) ~= cx(1, 2))
local counter = 0
local M = {__add = function(a, b) counter = counter + 1; return a end}
local m = setmetatable({}, M)
local r = m
for i = 1, 500 do r = r + i end
print(counter, r == m)
print(10 + "5", "5" + 10, "2" * "3")
local smt = getmetatable("")
print(type(smt.__add), type(smt.__unm))
print(pcall(function() return "x" * 2 end))
print(pcall(function() return -"y" end))
print(pcall(function() return 2 ^ {} end))

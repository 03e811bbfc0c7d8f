-- string-keyed fields, globals and methods in hot loops: present keys, keys that collide,
-- removed keys (dead keys fall back to __index), metatables changing under a loop
local t = {}
for i = 1, 40 do t["k" .. i] = i end
local s = 0
for r = 1, 50 do
  for i = 1, 40 do s = s + t["k" .. i] end
end
print("many keys", s)
-- a key removed and re-read sees __index; re-added it is a field again
local dflt = setmetatable({a = 1, b = 2}, {__index = function(_, k) return "dflt:" .. k end})
local log = {}
for i = 1, 30 do
  if i == 10 then dflt.a = nil end
  if i == 20 then dflt.a = "back" end
  log[#log + 1] = tostring(dflt.a)
end
print(table.concat(log, " ", 1, 12), log[20], log[30])
-- __newindex only for absent keys
local writes = 0
local guarded = setmetatable({x = 0}, {__newindex = function(t, k, v) writes = writes + 1; rawset(t, k, v) end})
for i = 1, 100 do guarded.x = i; if i % 25 == 0 then guarded["y" .. i] = i end end
print("newindex", guarded.x, writes, guarded.y100)
-- methods: own, through an __index table, through two levels, through a function
local Base = {}
Base.__index = Base
function Base.name(self) return "base" .. self.id end
function Base.kind() return "B" end
local Derived = setmetatable({}, {__index = Base})
Derived.__index = Derived
function Derived.kind() return "D" end
local objs = {}
for i = 1, 6 do
  local o = setmetatable({id = i}, i % 2 == 0 and Derived or Base)
  if i == 5 then o.kind = function() return "own" end end
  objs[i] = o
end
local out = {}
for r = 1, 20 do
  for i = 1, 6 do
    local o = objs[i]
    if r == 20 then out[#out + 1] = o:kind() .. o:name() end
  end
end
print(table.concat(out, " "))
local fnidx = setmetatable({}, {__index = function(_, k) return function() return "fn:" .. k end end})
local got
for i = 1, 30 do got = fnidx:method() end
print(got)
-- a class's method replaced in the middle of a hot loop
local C = {}
C.__index = C
function C.v() return 1 end
local o = setmetatable({}, C)
local acc = 0
for i = 1, 200 do
  if i == 100 then function C.v() return 1000 end end
  acc = acc + o:v()
end
print("replaced", acc)
-- a metatable swapped under a loop
local A = {__index = {f = function() return "A" end}}
local B = {__index = {f = function() return "B" end}}
local sw = setmetatable({}, A)
local seq = {}
for i = 1, 40 do
  if i == 21 then setmetatable(sw, B) end
  seq[#seq + 1] = sw:f()
end
print(seq[1], seq[20], seq[21], seq[40])
-- globals: read, written, removed, and a strict _ENV
g_count = 0
for i = 1, 100 do g_count = g_count + 1 end
print("global", g_count)
g_count = nil
print(pcall(function() return g_count + 1 end))
local strict = setmetatable({print = print, pcall = pcall, tostring = tostring}, {
  __index = function(_, k) error("undefined " .. k, 2) end,
  __newindex = function(t, k, v) rawset(t, k, v) end})
do
  local _ENV = strict
  known = 1
  for i = 1, 50 do known = known + i end
  print("strict", known, pcall(function() return unknown end))
end
-- SELF on a non-table, a string method
local str = "abc"
local up
for i = 1, 30 do up = str:upper() end
print(up, ("x"):rep(3))
print(pcall(function() local n = 5; return n:foo() end))

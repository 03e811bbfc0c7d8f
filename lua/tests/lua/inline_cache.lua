-- String-key reads and writes whose cached hash slots go stale: tables of other shapes at
-- the same instruction, keys removed and added back, rehashes, classes and metatables
-- changed under a hot loop, and __index chains of one, two and three levels.

-- One field read over tables that hold it at different slots.
local shapes = {
  {x = 1},
  {a = 0, x = 2},
  {b = 0, c = 0, x = 3},
  {x = 4, y = 5, z = 6, w = 7},
}
local s = 0
for i = 1, 400 do
  local t = shapes[i % 4 + 1]
  s = s + t.x
end
print("polymorphic", s)

-- A key removed and put back, and the table rehashed while a loop reads and writes it.
local t = {k = 1}
local sum = 0
for i = 1, 300 do
  sum = sum + (t.k or 100)
  if i % 7 == 0 then t.k = nil end
  if i % 7 == 3 then t.k = i end
  if i % 50 == 0 then
    for j = 1, i do t["f" .. j] = j end
  end
  t.w = i
end
print("rehash", sum, t.w, t.f10)

-- Methods through __index: replaced, shadowed, the metatable switched, __index turned into
-- a function.
local A = {}
A.__index = A
function A.get(self) return 1 end
local B = {}
B.__index = B
function B.get(self) return 10 end
local o = setmetatable({}, A)
local acc = 0
for i = 1, 600 do
  acc = acc + o:get()
  if i == 100 then function A.get(self) return 2 end end
  if i == 200 then o.get = function() return 3 end end
  if i == 300 then o.get = nil end
  if i == 400 then setmetatable(o, B) end
  if i == 500 then B.__index = function(_, k) return function() return 1000 end end end
end
print("methods", acc)

-- Two levels: instance -> class -> base; the base's method changes, then the class gets
-- its own, then a third level (left to the helper) takes over.
local Base = {}
Base.__index = Base
function Base.v() return 1 end
local Mid = setmetatable({}, Base)
Mid.__index = Mid
local obj = setmetatable({}, Mid)
local acc2 = 0
for i = 1, 500 do
  acc2 = acc2 + obj.v()
  if i == 100 then function Base.v() return 5 end end
  if i == 200 then function Mid.v() return 7 end end
  if i == 300 then Mid.v = nil end
  if i == 400 then
    local Top = {}
    Top.__index = Top
    function Top.v() return 11 end
    setmetatable(Base, Top)
    Base.v = nil
  end
end
print("levels", acc2)

-- Reads that find nothing: nil through a class, then the field appears in the base.
local miss = 0
for i = 1, 300 do
  if obj.nothing == nil then miss = miss + 1 end
  if i == 150 then Base.nothing = true end
end
print("missing", miss)

-- Globals defined and removed under a loop, and global writes.
local g = 0
for i = 1, 300 do
  if maybe_global then g = g + maybe_global end
  if i == 100 then maybe_global = 2 end
  if i == 200 then maybe_global = nil end
  counter_global = i
end
print("globals", g, counter_global)

-- Field writes to objects of several shapes, and a write that revives a removed key.
local objs = {}
for i = 1, 5 do
  local o2 = {}
  for j = 1, i do o2["p" .. j] = j end
  o2.val = 0
  objs[i] = o2
end
for i = 1, 500 do
  local o2 = objs[i % 5 + 1]
  o2.val = o2.val + i
  if i % 97 == 0 then o2.val = nil; o2.val = 1 end
end
local vals = {}
for i = 1, 5 do vals[i] = objs[i].val end
print("writes", table.concat(vals, " "))

-- Methods on strings next to methods on tables at one call site.
local things = {"abc", setmetatable({}, {__index = {upper = function() return "T" end}})}
local out = {}
for i = 1, 200 do
  local x = things[i % 2 + 1]
  if i > 196 then out[#out + 1] = x:upper() end
end
print("self", table.concat(out, ","))

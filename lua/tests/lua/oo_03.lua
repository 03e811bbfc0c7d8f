-- OO: privacy via closures, class-level counters, __index functions for properties, isinstance
local function Stack()
  local items, n = {}, 0
  local self = {}
  function self.push(v) n = n + 1; items[n] = v end
  function self.pop() local v = items[n]; items[n] = nil; n = n - 1; return v end
  function self.size() return n end
  return self
end
local s = Stack()
for i = 1, 5 do s.push(i * i) end
print(s.pop(), s.pop(), s.size())
local Base = {count = 0}
Base.__index = function(t, k)
  if k == "area" then return t.w * t.h end
  return Base[k]
end
function Base.new(w, h) Base.count = Base.count + 1; return setmetatable({w = w, h = h}, Base) end
function Base:scale(f) self.w = self.w * f; self.h = self.h * f; return self end
local r = Base.new(2, 3)
print(r.area, r:scale(2).area, Base.count, r.count)
local function isinstance(o, cls)
  local mt = getmetatable(o)
  while mt do if mt == cls then return true end; local p = getmetatable(mt); mt = p and p.__index end
  return false
end
local A = {}; A.__index = A
local B = setmetatable({}, {__index = A}); B.__index = B
local C = {}; C.__index = C
local b = setmetatable({}, B)
print(isinstance(b, B), isinstance(b, A), isinstance(b, C))
local Vec = {}
Vec.__index = Vec
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__lt = function(a, b) return a.x * a.x + a.y * a.y < b.x * b.x + b.y * b.y end
Vec.__le = function(a, b) return not (b < a) end
Vec.__tostring = function(v) return "<" .. v.x .. "," .. v.y .. ">" end
local vs = {}
for i = 1, 6 do vs[i] = setmetatable({x = (i * 5) % 7, y = i % 3}, Vec) end
table.sort(vs, function(a, b) if a == b then return false end if a < b then return true end if b < a then return false end return a.x < b.x end)
local out = {}
for i, v in ipairs(vs) do out[i] = tostring(v) end
print(table.concat(out, " "))
print(vs[1] <= vs[2], vs[2] >= vs[1], setmetatable({x = 1, y = 1}, Vec) == setmetatable({x = 1, y = 1}, Vec))

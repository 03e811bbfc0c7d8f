-- class helper with super calls and mixins
local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, {__index = parent}) end
  c.super = parent
  c.new = function(...)
    local o = setmetatable({}, c)
    if o.init then o:init(...) end
    return o
  end
  return c
end
local Base = class()
function Base:init(x) self.x = x end
function Base:value() return self.x end
function Base:show() return "Base(" .. self:value() .. ")" end
local Mid = class(Base)
function Mid:init(x, y) Base.init(self, x); self.y = y end
function Mid:value() return Base.value(self) + self.y end
local Leaf = class(Mid)
function Leaf:init(x, y, z) Mid.init(self, x, y); self.z = z end
function Leaf:value() return Mid.value(self) * self.z end
function Leaf:show() return "Leaf:" .. Base.show(self) end
local b, m, l = Base.new(1), Mid.new(1, 2), Leaf.new(1, 2, 3)
print(b:show(), m:show(), l:show())
print(Leaf.super == Mid, Mid.super == Base)
local Mixin = {greet = function(self) return "hi from " .. self:show() end}
for k, v in pairs(Mixin) do Leaf[k] = v end
print(l:greet())
local objs = {}
for i = 1, 30 do
  local k = i % 3
  objs[i] = k == 0 and Base.new(i) or k == 1 and Mid.new(i, 1) or Leaf.new(i, 1, 2)
end
local s = 0
for r = 1, 10 do for i = 1, 30 do s = s + objs[i]:value() end end
print(s)

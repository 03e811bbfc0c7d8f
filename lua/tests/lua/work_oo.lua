-- workload: object system with classes, inheritance, super calls, __tostring
local function class(name, parent)
  local c = {__name = name}
  c.__index = c
  c.__tostring = function(self) return self:describe() end
  setmetatable(c, {__index = parent, __call = function(cls, ...) local o = setmetatable({}, cls); o:init(...); return o end})
  c.super = parent
  return c
end
local Entity = class("Entity")
local nextid = 0
function Entity:init(name) nextid = nextid + 1; self.id = nextid; self.name = name end
function Entity:describe() return string.format("%s#%d(%s)", getmetatable(self).__name, self.id, self.name) end
function Entity:update(dt) end
local Mover = class("Mover", Entity)
function Mover:init(name, x, y, vx, vy) Entity.init(self, name); self.x, self.y, self.vx, self.vy = x, y, vx, vy end
function Mover:update(dt) self.x = self.x + self.vx * dt; self.y = self.y + self.vy * dt end
function Mover:describe() return Entity.describe(self) .. string.format("@%.2f,%.2f", self.x, self.y) end
local Bouncer = class("Bouncer", Mover)
function Bouncer:init(name, x, y, vx, vy, w) Mover.init(self, name, x, y, vx, vy); self.w = w; self.bounces = 0 end
function Bouncer:update(dt)
  Mover.update(self, dt)
  if self.x < 0 or self.x > self.w then self.vx = -self.vx; self.bounces = self.bounces + 1 end
  if self.y < 0 or self.y > self.w then self.vy = -self.vy; self.bounces = self.bounces + 1 end
end
function Bouncer:describe() return Mover.describe(self) .. " b=" .. self.bounces end
local Counter = class("Counter", Entity)
function Counter:init(name) Entity.init(self, name); self.ticks = 0 end
function Counter:update() self.ticks = self.ticks + 1 end
function Counter:describe() return Entity.describe(self) .. " t=" .. self.ticks end
local world = {}
for i = 1, 30 do
  local k = i % 3
  if k == 0 then world[#world+1] = Mover("m" .. i, i, i * 2, 0.5, -0.25)
  elseif k == 1 then world[#world+1] = Bouncer("b" .. i, 5, 5, i * 0.3, 0.7, 10)
  else world[#world+1] = Counter("c" .. i) end
end
for step = 1, 500 do
  for _, e in ipairs(world) do e:update(0.1) end
end
for i = 1, 6 do print(tostring(world[i])) end
local bounces, ticks = 0, 0
for _, e in ipairs(world) do
  if getmetatable(e) == Bouncer then bounces = bounces + e.bounces end
  if e.ticks then ticks = ticks + e.ticks end
end
print("bounces", bounces, "ticks", ticks)
print(Bouncer.super == Mover, Mover.super == Entity, Entity.super)
print(world[1].update == Bouncer.update, world[3].describe == Counter.describe)

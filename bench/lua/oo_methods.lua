-- bench: method calls through metatables with inheritance
local N = tonumber(arg and arg[1]) or 4000000
local Point = {}
Point.__index = Point
function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
function Point:add(o) self.x = self.x + o.x; self.y = self.y + o.y; return self end
function Point:len2() return self.x * self.x + self.y * self.y end
local Point3 = setmetatable({}, {__index = Point})
Point3.__index = Point3
function Point3.new(x, y, z) local p = Point.new(x, y); p.z = z; return setmetatable(p, Point3) end
function Point3:len2() return Point.len2(self) + self.z * self.z end
local p = Point.new(0, 0)
local q = Point3.new(0, 0, 1)
local d = Point.new(1, -1)
local acc = 0
for i = 1, N do
  p:add(d)
  q:add(d)
  acc = acc + (p:len2() - q:len2())
end
print(acc, p.x, q.y)

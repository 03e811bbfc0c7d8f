-- __index in a hot loop; switching metatables mid-loop
local A = {v = 1}
local B = {v = 2}
local o = setmetatable({}, {__index = A})
local s = 0
for i = 1, 1000 do
  if i == 500 then setmetatable(o, {__index = B}) end
  s = s + o.v
end
print(s)
local proto = {x = 10}
local objs = {}
for i = 1, 50 do objs[i] = setmetatable(i % 2 == 0 and {x = i} or {}, {__index = proto}) end
local sum = 0
for r = 1, 20 do for i = 1, 50 do sum = sum + objs[i].x end end
print(sum)
proto.x = 1000
sum = 0
for i = 1, 50 do sum = sum + objs[i].x end
print(sum)
local mtf = {__index = function(t, k) return k * 2 end}
local q = setmetatable({}, mtf)
local z = 0
for i = 1, 1000 do z = z + q[i] end
print(z)
local shadow = setmetatable({}, {__index = {a = 1}})
print(shadow.a); shadow.a = 5; print(shadow.a); shadow.a = nil; print(shadow.a)

-- table shapes changing under a hot loop
local objs = {}
for i = 1, 200 do
  local o = {x = i}
  if i % 2 == 0 then o.y = i * 2 end
  if i % 3 == 0 then o.z = "z" end
  objs[i] = o
end
local sx, sy, sz = 0, 0, 0
for r = 1, 5 do
  for i = 1, #objs do
    local o = objs[i]
    sx = sx + o.x
    if o.y then sy = sy + o.y end
    if o.z then sz = sz + 1 end
  end
end
print(sx, sy, sz)
local t = {a = 1}
local total = 0
for i = 1, 500 do
  if i == 250 then t.b = 2; t.c = 3 end
  if i == 400 then t.a = nil end
  total = total + (t.a or 0) + (t.b or 0)
end
print(total)
local arr = {}
for i = 1, 300 do
  arr[i] = i
  if i == 150 then arr.name = "grew a hash part" end
end
local s = 0
for i = 1, #arr do s = s + arr[i] end
print(s, arr.name)
local grow = {}
for i = 1, 1000 do grow[#grow + 1] = i; if i % 100 == 0 then grow[#grow] = nil end end
print(#grow, grow[#grow])
local m = {}
for i = 1, 300 do m[i % 7] = (m[i % 7] or 0) + i end
print(m[0], m[1], m[6])

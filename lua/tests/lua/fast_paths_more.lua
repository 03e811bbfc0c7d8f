-- Array appends and holes, LOADNIL runs, == across types, and reads of fields that an
-- object lacks (nil or through __index), in hot loops.
local t = {}
for i = 1, 500 do t[i] = i * 2 end
print(#t, t[1], t[500])
local h = {x = 1}
for i = 1, 100 do h[i] = i end
print(#h, h[100], h.x)
local holes = {1, 2, 3, 4, 5}
for i = 1, 300 do
  local k = i % 5 + 1
  if i % 2 == 0 then holes[k] = nil else holes[k] = i end
end
print(holes[1], holes[2], holes[3], holes[4], holes[5])
local logged = {}
local prox = setmetatable({}, {__newindex = function(tb, k, v) logged[#logged + 1] = k; rawset(tb, k, v) end})
for i = 1, 100 do prox[i] = i end
print(#logged, logged[1], logged[100], prox[50])
local ti = {}
for i = 1, 200 do ti[#ti + 1] = (i % 3 == 0) and false or i end
print(#ti, ti[3], ti[200])
-- An append that fills the array part's last free slot, and keys that wait in the hash part.
local w = {}
w[3] = "c"; w[2] = "b"
for i = 1, 50 do w[1] = "a"; if i % 10 == 0 then w[#w + 1] = i end end
print(#w, w[4], w[5], w[8])

local function many()
  local a, b, c, d, e, f
  return a, b, c, d, e, f
end
local n = 0
for i = 1, 300 do
  local x, y, z
  if x == nil and y == nil and z == nil then n = n + 1 end
  x, y, z = i, i, i
  local p, q = many()
  if p == nil and q == nil then n = n + 1 end
end
print("nil", n)

local A = {}
local B = {}
local mt = {__eq = function() return true end}
local E1, E2 = setmetatable({}, mt), setmetatable({}, mt)
local f1, f2 = print, function() end
local co = coroutine.create(function() end)
local vals = {1, 1.0, "1", true, false, nil, A, B, f1, f2, co, E1, E2, 2^53, math.huge, 0/0}
local eqs = 0
for r = 1, 20 do
  for i = 1, 16 do
    for j = 1, 16 do
      if vals[i] == vals[j] then eqs = eqs + 1 end
      if vals[i] ~= vals[j] then eqs = eqs + 1000 end
    end
  end
end
print("eq", eqs)

-- Fields an object lacks: nil, from its class, from the class's base, many keys (so the
-- key filter cannot tell), and keys removed.
local Base = {base = "b"}
Base.__index = Base
local Cls = setmetatable({cls = "c"}, Base)
Cls.__index = Cls
local objs = {}
for i = 1, 20 do
  local o = setmetatable({}, Cls)
  for j = 1, i do o["k" .. j] = j end
  objs[i] = o
end
local found, missing = 0, 0
for r = 1, 30 do
  for i = 1, 20 do
    local o = objs[i]
    if o.k3 then found = found + 1 end
    if o.absent == nil then missing = missing + 1 end
    if o.cls == "c" then found = found + 1 end
    if o.base == "b" then found = found + 1 end
    if r == 15 then o.k3 = nil end
  end
end
print("fields", found, missing)

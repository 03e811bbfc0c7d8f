-- misses in hot loops: holes and keys past the array part, with and without metatables,
-- integer keys in the hash part, returns into variable-count lists
local plain = {1, 2, nil, 4}
local n = 0
for r = 1, 30 do
  for i = 0, 8 do if plain[i] == nil then n = n + 1 end end
end
print("plain misses", n)
local withmeta = setmetatable({1, nil, 3}, {__index = function(_, k) return "m" .. k end})
local got = {}
for i = 1, 5 do got[#got + 1] = tostring(withmeta[i]) end
print(table.concat(got, " "))
local sparse = {}
sparse[1000] = "far"; sparse[-3] = "neg"
local hits = 0
for r = 1, 40 do
  if sparse[1000] then hits = hits + 1 end
  if sparse[-3] then hits = hits + 1 end
  if sparse[999] == nil then hits = hits + 1 end
end
print("sparse", hits)
local proto = {x = 1}
local inherit = setmetatable({}, {__index = proto})
local cnt = 0
for i = 1, 50 do
  if inherit.x == 1 then cnt = cnt + 1 end
  if inherit.y == nil then cnt = cnt + 1 end
  if i == 25 then proto.y = "now" end
end
print("inherit", cnt, inherit.y)
local function one(x) return x end
local function pack2(a) return {one(a), one(a + 1)} end
local s = 0
for i = 1, 100 do local t = pack2(i); s = s + t[1] + t[2] + #t end
print("multret", s)
print(select("#", one(nil)), select("#", one(1)), (one(7)))
local t = {}
for i = 1, 10 do t[i] = i end
for i = 1, 10, 2 do t[i] = nil end
local holes = 0
for r = 1, 20 do for i = 1, 12 do if t[i] == nil then holes = holes + 1 end end end
print("holes", holes)

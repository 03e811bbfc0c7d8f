-- polymorphic values flowing through the same operation
local vals = {}
for i = 1, 400 do
  local k = i % 4
  if k == 0 then vals[i] = i elseif k == 1 then vals[i] = i + 0.25 elseif k == 2 then vals[i] = tostring(i) else vals[i] = i end
end
local sum = 0
for i = 1, #vals do sum = sum + vals[i] end
print(sum)
local cat = {}
for i = 1, 12 do cat[#cat+1] = vals[i] .. "" end
print(table.concat(cat, ","))
local function f(a) return a * 2 end
local r = {}
for i = 1, 300 do r[#r+1] = f(i < 200 and i or i + 0.5) end
print(r[199], r[200], r[300])
local mixed = {1, "a", 2.5, true, {}, print, nil}
local counts = {}
for rep = 1, 100 do
  for i = 1, 6 do local ty = type(mixed[i]); counts[ty] = (counts[ty] or 0) + 1 end
end
local keys = {}
for k, v in pairs(counts) do keys[#keys+1] = k .. "=" .. v end
table.sort(keys)
print(table.concat(keys, " "))
local cmp = 0
for i = 1, 300 do if (i % 2 == 0 and i or i + 0.5) > 150 then cmp = cmp + 1 end end
print(cmp)

-- hot loops whose value types change mid-loop (int -> float -> int)
local x = 0
for i = 1, 300 do
  if i == 100 then x = x + 0.5 end
  if i == 200 then x = math.floor(x) end
  x = x + 1
end
print(x, math.type(x))
local acc = 0
for i = 1, 300 do
  local v = (i % 50 == 0) and i / 2 or i // 2
  acc = acc + v
end
print(acc, math.type(acc))
local t = {}
for i = 1, 300 do t[i] = (i % 3 == 0) and i * 1.0 or i end
local s, fl = 0, 0
for i = 1, 300 do s = s + t[i]; if math.type(t[i]) == "float" then fl = fl + 1 end end
print(s, fl)
local y = 1
for i = 1, 70 do y = y * 2 end
print(y)
local z = 1
for i = 1, 70 do z = z * 2.0 end
print(z)
local w = math.maxinteger - 150
for i = 1, 300 do w = w + 1 end
print(w)
local str = 0
for i = 1, 200 do if i == 150 then str = tostring(str) end; str = str .. "" end
print(type(str), #str)

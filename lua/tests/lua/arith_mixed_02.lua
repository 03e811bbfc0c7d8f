-- type changes inside loops (int then float)
local v = 1
for i = 1, 20 do
  if i == 10 then v = v + 0.5 end
  v = v * 2
end
print(v, math.type(v))
local sum = 0
local items = {1, 2, 3.5, 4, 5.25, 6}
for _, x in ipairs(items) do sum = sum + x end
print(sum, math.type(sum))
local function f(a, b) return a * b + a // b end
print(f(7, 2), f(7.0, 2), f(7, 2.0), f(-7, 2))
local r = {}
for i = 1, 6 do r[i] = (i % 2 == 0) and i or i + 0.0 end
for i = 1, 6 do r[i] = r[i] * r[i] end
for i = 1, 6 do io.write(tostring(r[i]), " ", math.type(r[i]), "; ") end
print()
local k = 0
for i = 1, 50 do k = k + (i % 3 == 0 and 1.5 or 1) end
print(k)

-- numeric for: loop var is a copy, float steps accumulating, large negative steps, types of control var
local r = {}
for i = 1, 3 do local old = i; i = i * 10; r[#r+1] = old .. "->" .. i end
print(table.concat(r, " "))
local c = 0
for x = 0.1, 0.35, 0.05 do c = c + 1 end
print(c)
local t = {}
for i = 10, -10, -7 do t[#t+1] = i end
print(table.concat(t, " "))
for i = 3, 1, -1 do io.write(math.type(i), " ") end
for i = 3.0, 1, -1 do io.write(math.type(i), " ") end
print()
local n = 0
for i = math.maxinteger - 1, math.maxinteger, 2 do n = n + 1 end
print(n)
n = 0
for i = math.mininteger, math.mininteger + 1, -1 do n = n + 1 end
print(n)
n = 0
for i = 0, math.maxinteger, math.maxinteger do n = n + 1 end
print(n)
n = 0
for i = -1, math.mininteger, math.mininteger do n = n + 1 end
print(n)
local s = 0
for i = 1, 3 do for j = i, 3 do s = s + i * j end end
print(s)

-- integer overflow wraparound in loops, negative zero absent for ints, pow always float
local a = math.maxinteger
local steps = {}
for i = 1, 3 do a = a + 1; steps[i] = a end
print(table.concat(steps, " "))
local m = 1
for i = 1, 64 do m = m * 2 end
print(m)
local f = 1
for i = 1, 25 do f = f * i end
print(f)
print(0 * -1, -0, 0 == -0, 3 - 3)
print(2 ^ 2, 10 ^ 0, 2 ^ 63, 2 ^ -2, math.type(2 ^ 2))
print(math.maxinteger * math.maxinteger, math.mininteger * -1, math.mininteger * math.mininteger)
print(7 // 7, -1 // math.maxinteger, math.mininteger // math.maxinteger)
print(-7 % math.maxinteger, 7 % math.mininteger, -7 % math.mininteger)
local h = 0
for i = 1, 10000 do h = h * 6364136223846793005 + 1442695040888963407 end
print(h)
local x = 0
for i = 1, 1000 do x = x - i * i end
print(x)

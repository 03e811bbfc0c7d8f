-- math.random with a fixed seed (deterministic in 5.4's xoshiro256**)
math.randomseed(42)
local t = {}
for i = 1, 10 do t[i] = math.random(1, 100) end
print(table.concat(t, " "))
math.randomseed(42)
local u = {}
for i = 1, 10 do u[i] = math.random(1, 100) end
print(table.concat(t, " ") == table.concat(u, " "))
math.randomseed(7)
local inrange = true
for i = 1, 1000 do local r = math.random(); if r < 0 or r >= 1 then inrange = false end end
print(inrange)
for i = 1, 1000 do local r = math.random(5); if r < 1 or r > 5 or math.type(r) ~= "integer" then inrange = false end end
print(inrange)
for i = 1, 1000 do local r = math.random(-3, 3); if r < -3 or r > 3 then inrange = false end end
print(inrange)
math.randomseed(123)
print(math.random(1000000), math.random(0), math.random(10, 10))
print(pcall(math.random, 2, 1))
print(pcall(math.random, 1, 2, 3))
math.randomseed(1, 2)
print(math.random(1 << 40))
local counts = {0, 0, 0}
math.randomseed(99)
for i = 1, 3000 do local r = math.random(3); counts[r] = counts[r] + 1 end
print(counts[1] > 900, counts[2] > 900, counts[3] > 900, counts[1] + counts[2] + counts[3])
math.randomseed(5)
print(string.format("%.10f", math.random()))
print(math.random(math.mininteger, math.maxinteger))

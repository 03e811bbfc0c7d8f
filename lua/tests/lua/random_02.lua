-- math.random distributions with fixed seeds (values are part of 5.4's spec'd xoshiro256**)
math.randomseed(2024)
local hist = {}
for i = 1, 10 do hist[i] = 0 end
for i = 1, 10000 do local r = math.random(10); hist[r] = hist[r] + 1 end
print(table.concat(hist, " "))
math.randomseed(0)
local f = {}
for i = 1, 5 do f[i] = string.format("%.12f", math.random()) end
print(table.concat(f, " "))
math.randomseed(0)
print(string.format("%.12f", math.random()) == f[1])
local function shuffle(t) for i = #t, 2, -1 do local j = math.random(i); t[i], t[j] = t[j], t[i] end return t end
math.randomseed(31337)
print(table.concat(shuffle({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}), ","))
math.randomseed(1)
local big = {}
for i = 1, 4 do big[i] = math.random(math.maxinteger) end
print(table.concat(big, " "))
math.randomseed(3.0)
print(math.random(100))

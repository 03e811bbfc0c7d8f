-- float edge printing and accumulation
local vals = {0.5, 0.25, 1/3, 2/3, 1e15, 1e16, 1e17, 123e-7, 2^53, 2^63, -2^63, 1e300, 5e-324}
for i, v in ipairs(vals) do print(i, v) end
local x = 1.0
for i = 1, 60 do x = x / 2 end
print("tiny", x)
local y = 0.0
for i = 1, 10 do y = y + 0.1 end
print("ten tenths", y, y == 1.0, string.format("%.17g", y))
print("inf arith", math.huge - math.huge ~= math.huge - math.huge)
print("inf cmp", math.huge > 1e308, -math.huge < -1e308)
local z = 0.0
for i = 1, 100 do z = z * 0.5 + i end
print(string.format("%.10f", z))
print(100 / 3, -100 / 3)
print(255 / 5, 1e2, 1e-2, 12.0 * 1)

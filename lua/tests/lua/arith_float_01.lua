-- float arithmetic
print(1.5 + 2.25, 1.5 - 2.25, 1.5 * 2.25, 1.5 / 2.25)
print(7.5 // 2, 7.5 % 2, -7.5 // 2, -7.5 % 2)
print(7.5 // -2, 7.5 % -2)
print(2^0.5, 2^-1, (-8)^(1/3) ~= (-8)^(1/3))
print(1/0, -1/0, math.huge == 1/0)
print(0.1 + 0.2, 0.1 + 0.2 == 0.3)
print(1e308 * 10, -1e308 * 10)
print(3.0, -3.0, 1e100, 1e-100, 123456.789)
print(5.0 // 0, -5.0 // 0, 5 % math.huge, -5 % math.huge)
print(5.3 % -math.huge, -5.3 % -math.huge)
local s = 0.0
for i = 1, 1000 do s = s + 1 / i end
print(string.format("%.12f", s))
local p = 1.0
for i = 1, 30 do p = p * 1.5 end
print(p)
print(math.type(1.0), math.type(2^2), math.type(10 / 2))
print(-0.0 == 0.0, 1/(-0.0), 1/0.0)
print(3.7 // 1, -3.7 // 1, 3.7 % 1 < 0.71)

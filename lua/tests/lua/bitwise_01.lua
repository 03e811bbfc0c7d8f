-- bitwise operators
print(0xF0 & 0x3C, 0xF0 | 0x3C, 0xF0 ~ 0x3C, ~0)
print(1 << 0, 1 << 1, 1 << 63, 1 << 64, 1 << -1, 2 >> 1)
print(-1 >> 1, -1 >> 63, -1 >> 64, -1 << 64)
print(5 >> -1, 3 << 62)
print(0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000)
print(3.0 & 1, 2.0 | 1.0, math.type(3.0 & 1))
print(pcall(function() return "3" & 1 end))
print(~5, ~-1, ~math.mininteger)
print(pcall(function() return 1.5 & 1 end))
print(pcall(function() return "a" | 1 end))
print(pcall(function() return 2^63 | 0 end))
local x = 0
for i = 0, 62, 3 do x = x | (1 << i) end
print(x, string.format("%x", x))
local pop = 0
local y = 0x123456789ABCDEF
while y ~= 0 do pop = pop + (y & 1); y = y >> 1 end
print("popcount", pop)
local h = 2166136261
for i = 1, 100 do h = ((h ~ i) * 16777619) & 0xFFFFFFFF end
print("fnv", h)

-- bitwise operations on float operands with exact integer values, and on string-to-int via tonumber
print(3.0 | 4, 7.0 & 2.0, 1.0 << 4, 256.0 >> 4, ~0.0, 5.0 ~ 1)
print(math.type(3.0 | 4), math.type(~0.0))
print(tonumber("0xff") & 0xf, tonumber("12") | 1)
print(pcall(function() return 1.5 | 0 end))
print(pcall(function() return math.huge | 0 end))
print(pcall(function() return (0/0) | 0 end))
print(-1 >> 60, -1 << 63, 1 << 63 >> 63, (1 << 63) // -1)
local masks = {}
for i = 0, 7 do masks[#masks+1] = string.format("%02x", (0xff >> i) & (0xff << i) & 0xff) end
print(table.concat(masks, " "))
local v = 0
for i = 1, 64 do v = (v << 1) | (i % 2) end
print(v, string.format("%x", v))
local c = 0
for i = 0, 1023 do if (i & (i - 1)) == 0 then c = c + 1 end end
print(c)

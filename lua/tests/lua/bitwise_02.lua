-- xorshift and bit tricks
local s = 88172645463325252
local function xs()
  s = s ~ (s << 13)
  s = s ~ (s >> 7)
  s = s ~ (s << 17)
  return s
end
for i = 1, 5 do print(xs()) end
local acc = 0
for i = 1, 1000 do acc = acc ~ xs() end
print("acc", acc)
local function rotl(x, n) return (x << n) | (x >> (64 - n)) end
print(rotl(1, 1), rotl(1, 63), rotl(0x0F, 4))
local function bitrev8(b)
  local r = 0
  for i = 0, 7 do if b & (1 << i) ~= 0 then r = r | (1 << (7 - i)) end end
  return r
end
for _, b in ipairs({1, 2, 0x80, 0xF0, 0xAA}) do io.write(bitrev8(b), " ") end
print()
print(string.format("%016x", -1 >> 4))
print(math.ult(1, -1), math.ult(-1, 1), math.ult(5, 5))

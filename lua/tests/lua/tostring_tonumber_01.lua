-- number printing corners
local vals = {1e15, 1e16, -0.0, 0.0, 2^53, 2^63, -2^63, math.huge, -math.huge,
  1e14 + 0.5, 123456789012345.0, 0.1, 1/3, 100.0, -1.5, 1e-5, 123e300, 2^-1074, 3.0e0}
for i, v in ipairs(vals) do print(i, tostring(v), math.type(v)) end
print(tostring(0/0) == tostring(0/0) or "nan differs")
local nan = 0/0
print(nan ~= nan, type(nan), math.type(nan))
print(math.maxinteger, math.mininteger, tostring(math.maxinteger + 0.0))
print(tostring(10 // 3), tostring(10 / 2), tostring(-7 // 2.0))
print(1e100, -1e-100, 5e-324, 1.7976931348623157e308)
print(12345678901234567890)
print(0x10, 0xff, 0xA.8p0, 0x.1p4, 0x1p-2)
print(1 == 1.0, tostring(1) == tostring(1.0))
print(#tostring(12345), tostring(-0))

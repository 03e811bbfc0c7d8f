-- tonumber
local inputs = {"10", "  10  ", "10.5", "1e2", "1E-2", "0x10", "0X1F", "0x1p4", ".5", "5.", "-7", "+7",
  "10a", "", " ", "0x", "1e", "inf", "nan", "1 2", "0b101", "1_000", "\t12\n", "9223372036854775807",
  "9223372036854775808", "-9223372036854775808", "0xffffffffffffffff", "0x7fffffffffffffff1", "1e500"}
for _, s in ipairs(inputs) do
  local n = tonumber(s)
  print(string.format("%q", s), n, math.type(n))
end
print(tonumber("ff", 16), tonumber("FF", 16), tonumber("777", 8), tonumber("101", 2), tonumber("zz", 36))
print(tonumber("8", 8), tonumber("1.5", 10), tonumber(" 11 ", 2), tonumber("-ff", 16))
print(tonumber(10), tonumber(1.5), tonumber(nil))
print(pcall(tonumber, "10", 1), pcall(tonumber, "10", 37))
print(pcall(tonumber))
print(tonumber({}), tonumber(true))
print(tonumber("0x1.8"), tonumber("1e+2"), tonumber("-0"), tonumber("-0.0"))

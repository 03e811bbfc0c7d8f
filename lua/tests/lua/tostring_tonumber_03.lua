-- tostring/tonumber roundtrips and %.14g formatting of computed values
local vals = {1/3, 2/3, 0.1 * 3, 1e21 / 3, 123.456e10, -987.654e-10, 2^-20, 2^60 + 0.0, 7.0, 1e15 + 0.3}
for i, v in ipairs(vals) do
  local s = tostring(v)
  print(i, s, tonumber(s) == v, string.format("%.17g", v) == string.format("%.17g", tonumber(string.format("%.17g", v))))
end
for _, n in ipairs({0, -1, 1, 255, 65535, math.maxinteger, math.mininteger}) do
  io.write(tostring(n), "|", tostring(tonumber(tostring(n)) == n), " ")
end
print()
print(tonumber("1" .. ("0"):rep(18)), tonumber("1" .. ("0"):rep(19)))
print(tonumber("0x" .. ("f"):rep(16)), tonumber("0x1" .. ("0"):rep(16)))
print(tonumber("-0x8000000000000000"), tonumber("1e-400"), tonumber("-1e-400"))
print(tonumber("0.0000001"), tonumber("123456789012345678"))
print(math.tointeger(tonumber("1e2")), tonumber("1e2") == 100)
print(string.format("%.14g", 2^63), string.format("%.0f", 2^63))
print(tostring(1e300 * 1e10), tostring(-1e300 * 1e10))
print(tostring(3) .. tostring(3.0), tostring(-0.0) == "-0.0")

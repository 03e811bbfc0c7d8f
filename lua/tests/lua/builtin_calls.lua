-- math.sqrt and math.abs, which CALL does in place: integers, floats, the smallest
-- integer, negative zero, NaN and infinities, strings (left to the library), wrong
-- argument counts, extra results wanted, and the functions replaced under a hot loop.
local sqrt, abs = math.sqrt, math.abs
local s = 0
for i = 1, 300 do
  s = s + sqrt(i) + abs(-i) + abs(i - 150.5)
end
print(string.format("%.6f", s))
print(sqrt(4), sqrt(2.25), sqrt(-1) ~= sqrt(-1), sqrt(math.huge), sqrt(-0.0))
print(abs(math.mininteger), abs(-0.0), abs(-math.huge), math.type(abs(-3)), math.type(abs(-3.0)))
print(abs("-5"), sqrt("16"), pcall(sqrt), pcall(abs, {}))
print(select("#", sqrt(9)), sqrt(9, 10), (abs(-2, "x")))
local a, b = sqrt(16)
print(a, b)
local t = {}
for i = 1, 200 do
  t[#t + 1] = abs(i % 2 == 0 and -i or i * 0.5)
  if i == 100 then abs = function(x) return "replaced" end end
end
print(t[1], t[2], t[99], t[100], t[101], t[200])
local m = 0
for i = 1, 200 do
  local f = (i % 3 == 0) and math.sqrt or (i % 3 == 1) and math.abs or math.floor
  m = m + f(i * 1.5)
end
print(string.format("%.6f", m))

-- integer/float mixes in hot loops: conversions as Lua makes them (large integers round),
-- results that are floats, and operand types that change under a running trace
local s = 0.0
for i = 1, 1000 do s = s + i * 0.5 - 2 / i + (i - 0.25) end
print(string.format("%.10f", s))
local big = math.maxinteger
local out = {}
for i = 1, 5 do out[#out + 1] = big * 1.0 + i end
print(out[1] == 2^63, math.type(out[5]), out[5] == 2^63)
local acc = 0
for i = 1, 300 do
  local x = (i % 3 == 0) and i or i + 0.5
  acc = acc + 2 * x - x / 4
end
print(acc, math.type(acc))
local t = {}
for i = 1, 100 do
  local v = i * 3
  if i > 50 then v = v + 0.0 end
  t[#t + 1] = v - 1
end
print(t[50], math.type(t[50]), t[51], math.type(t[51]), t[100])
local neg = 0
for i = -5, 5 do if (i * -0.0) == 0 then neg = neg + 1 end end
print(neg, 1 / (0 * -1.0), 3 - 3.0, math.type(3 * 1.0))
local z = 0
for i = 1, 200 do z = z + (i // 7) * 1.5 + (i % 7) / 2 end
print(z)
local mixed = 1
for i = 1, 60 do mixed = mixed * 2 end
print(mixed, mixed * 1.0, mixed + 0.5 == mixed)

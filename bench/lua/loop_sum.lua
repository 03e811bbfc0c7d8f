-- bench: numeric loops, integer and float accumulators
local N = tonumber(arg and arg[1]) or 100000000
local s, f = 0, 0.0
for i = 1, N do
  s = s + (i % 8)
  f = f + 0.5
end
print(string.format("%d %.1f", s, f))

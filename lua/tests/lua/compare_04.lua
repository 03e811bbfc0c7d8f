-- float comparisons in hot loops: NaN is unordered, -0 equals 0, infinities, mixed
-- int/float pairs (those are the helper's), and branch outcomes that change mid-loop
local nan, inf = 0/0, math.huge
local vals = {1.5, -0.0, 0.0, nan, inf, -inf, 2.5, 1e308, -1e-300}
local lt, le, eq, ne = 0, 0, 0, 0
for r = 1, 20 do
  for i = 1, #vals do
    for j = 1, #vals do
      local a, b = vals[i], vals[j]
      if a < b then lt = lt + 1 end
      if a <= b then le = le + 1 end
      if a == b then eq = eq + 1 end
      if not (a == b) then ne = ne + 1 end
    end
  end
end
print(lt, le, eq, ne)
local mixed = 0
for i = 1, 100 do
  local f = i / 3
  if i < f * 3.0 + 0.5 then mixed = mixed + 1 end
  if f >= 10 then mixed = mixed + 100 end
  if f == math.floor(f) then mixed = mixed + 10000 end
end
print(mixed)
-- escape-time style loop whose exit depends on the data
local escapes = {}
for x = -2.0, 0.5, 0.125 do
  local zr, zi, n = 0.0, 0.0, 0
  while n < 50 do
    zr, zi = zr * zr - zi * zi + x, 2 * zr * zi + 0.25
    if zr * zr + zi * zi > 4.0 then break end
    n = n + 1
  end
  escapes[#escapes + 1] = n
end
print(table.concat(escapes, " "))
print(nan ~= nan, nan == nan, -0.0 == 0.0, 1/-0.0 < 0, inf > 1e308, -inf < -1e308)

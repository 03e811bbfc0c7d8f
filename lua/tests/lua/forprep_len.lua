-- Integer for-loop preparation (counts up and down, empty loops, the ends of the integer
-- range, float limits and a zero step left to the library) and # of tables and strings
-- (plain arrays, holes, hash parts, __len), in hot loops.
local function count(a, b, c)
  local n = 0
  for i = a, b, c do n = n + 1 end
  return n
end
local total = 0
for r = 1, 50 do
  total = total + count(1, r, 1) + count(r, 1, -1) + count(1, 0, 1) + count(0, 1, -1)
    + count(1, r, 3) + count(r, -r, -7) + count(5, 5, 1) + count(5, 5, -1)
end
print(total)
print(count(math.maxinteger - 2, math.maxinteger, 1), count(math.mininteger + 2, math.mininteger, -1))
print(count(math.mininteger, math.mininteger + 10, 5), count(math.maxinteger, math.maxinteger - 10, -5))
print(count(1, 3.5, 1), count(3, 0.5, -1), count(1, math.huge, 1e308 // 1 > 0 and math.maxinteger or 1))
print(count(1, 10, math.maxinteger), count(10, 1, math.mininteger))
print(pcall(count, 1, 10, 0))
print(pcall(count, 1, "x", 1))
local last
for i = 3, 1, -1 do last = i end
print(last)
for i = 1, 3 do local j = i; i = 10; last = j end
print(last)

local lens = 0
local t, h, holes = {}, {x = 1}, {1, 2, nil, 4}
local lenmeta = setmetatable({1, 2, 3}, {__len = function() return 42 end})
for i = 1, 200 do
  t[i] = i
  h[i] = i
  lens = lens + #t + #h + #lenmeta + #("x"):rep(i % 7) + #""
end
print(lens, #holes == 4 or #holes == 2, #{}, #{nil}, #{n = 1})
local u = {}
for i = 1, 100 do u[#u + 1] = i end
for i = 100, 51, -1 do u[i] = nil end
print(#u)

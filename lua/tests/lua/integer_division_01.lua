-- // and % on integers and floats, negative operands, division by zero
local function strip(m) return (tostring(m):gsub("^.-:%d+: ", "")) end
local pairs_ = {{7, 3}, {-7, 3}, {7, -3}, {-7, -3}, {0, 5}, {6, 3}, {-6, 3}, {1, math.maxinteger}, {math.mininteger, 2}}
for _, p in ipairs(pairs_) do
  local a, b = p[1], p[2]
  print(a, b, a // b, a % b, a == (a // b) * b + a % b)
end
local fp = {{7.5, 2}, {-7.5, 2}, {7.5, -2}, {-7.5, -2}, {0.5, 0.25}, {1e308, 1e-308}, {5, 0.3}}
for _, p in ipairs(fp) do
  local a, b = p[1], p[2]
  print(a, b, a // b, string.format("%.10g", a % b))
end
print(1 // 0.0, -1 // 0.0, 1.0 // 0, -1 % math.huge, 1 % -math.huge)
print(0.0 // 1, -0.0 // 1, 0 % -2, 0.0 % -2)
local nan1 = 0.0 // 0.0
local nan2 = 1 % 0.0
print(nan1 ~= nan1, nan2 ~= nan2, math.huge % 2 ~= math.huge % 2)
local ok, e = pcall(function() local z = 0; return 1 // z end)
print(ok, strip(e))
ok, e = pcall(function() local z = 0; return 1 % z end)
print(ok, strip(e))
print(pcall(function() return 1.0 // 0 end))
print(math.mininteger // -1, math.mininteger % -1)
print(math.maxinteger // 1, math.maxinteger % 2, math.mininteger // 1)
print(3 % -math.huge, -3 % math.huge, 3 % math.huge)
local s = 0
for i = -100, 100 do if i ~= 0 then s = s + 1000 // i + 1000 % i end end
print(s)
print(7 // 2 * 2 + 7 % 2, -7 // 2 * 2 + -7 % 2)
print(5.0 % 3, math.type(5.0 % 3), math.type(5 % 3), math.type(5 // 3.0))

-- comparisons in hot loops with mixed types, string ordering with embedded bytes
local c = 0
for i = 1, 1000 do
  local a = (i % 2 == 0) and i or i + 0.5
  local b = (i % 3 == 0) and 500 or 500.5
  if a < b then c = c + 1 end
  if a <= b then c = c + 1 end
  if a == b then c = c + 100 end
end
print(c)
local strs = {"b", "a", "ab", "aB", "a\0", "a\0b", "", "\255", "A", "10", "9", "1"}
table.sort(strs)
local out = {}
for i, s in ipairs(strs) do out[i] = string.format("%q", s) end
print(table.concat(out, " "))
print(math.maxinteger < math.huge, math.mininteger > -math.huge, math.maxinteger + 0.0 > math.maxinteger)
print(math.maxinteger == math.maxinteger + 0.0, math.mininteger == math.mininteger + 0.0)
print(-0.0 < 0.0, -0.0 <= 0.0, 0 == -0)
local n = 0
for i = -5, 5 do for j = -5, 5 do if (i < j) == not (i >= j) then n = n + 1 end end end
print(n)
print(1 == 1, "1" == "1", 1 ~= "1", nil ~= false, 0 ~= false)

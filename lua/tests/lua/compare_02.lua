-- int/float comparisons near precision limits
local big = 9007199254740993  -- 2^53 + 1
print(big == 2^53, big > 2^53, big < 2^53 + 2)
print(math.maxinteger == 2^63, math.maxinteger < 2^63, math.maxinteger <= 2^63)
print(math.maxinteger > 9.2233720368547e18)
print(1 < math.huge, 1 > -math.huge)
local ints = {-3, -1, 0, 1, 2, 5}
local flts = {-2.5, -1.0, 0.0, 0.5, 2.0, 4.9}
for _, i in ipairs(ints) do
  local row = {}
  for _, f in ipairs(flts) do
    row[#row+1] = (i < f and "<" or (i == f and "=" or ">"))
  end
  print(i, table.concat(row))
end
local c = 0
for i = 1, 200 do if (i / 2) < (i // 2 + 0.25) then c = c + 1 end end
print(c)
print("a\0b" < "a\0c", "a\0" > "a", #"a\0b")

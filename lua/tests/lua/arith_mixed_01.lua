-- mixed int/float arithmetic
print(1 + 2.0, math.type(1 + 2.0))
print(3 * 1.5, 10 - 0.5, 7 // 2.0, 7 % 2.5)
print(2^2, 10 / 2, math.type(10 // 2), math.type(10 // 2.0))
local t = {}
for i = 1, 5 do t[#t+1] = i * 0.5 end
print(table.concat(t, " "))
local acc = 0
for i = 1, 10 do
  if i % 2 == 0 then acc = acc + i else acc = acc + i / 2 end
end
print(acc, math.type(acc))
local n = 0
for i = 1, 100 do n = n + i end
n = n + 0.0
print(n, math.type(n))
print(math.maxinteger + 0.0, math.maxinteger + 1.0 == 2^63)
print(math.mininteger + 0.0, -2^63 == math.mininteger)
print(1 == 1.0, 2^53 == 2^53 + 1, (2^53 | 0) + 1)
print(5 // 0.0, -5 // 0.0, 0/0 ~= 0/0)
print(-7 // 2.0, -7 % 2.0, 7 % -2.0)
local x = 3
x = x + 0.25
x = x * 4
print(x, math.type(x), x == 13)

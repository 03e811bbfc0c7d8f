-- while and repeat
local i, s = 0, 0
while i < 10 do i = i + 1; s = s + i end
print(i, s)
local n = 0
repeat n = n + 1 until n >= 5
print(n)
local x = 10
repeat local y = x; x = x - 3 until y < 3
print("repeat scope", x)
local k = 0
while true do k = k + 1; if k == 7 then break end end
print(k)
local cnt = 0
while false do cnt = cnt + 1 end
print(cnt)
local a, b = 1, 1
while b < 1000000 do a, b = b, a + b end
print(a, b)
local j = 0
repeat
  j = j + 1
  if j % 2 == 0 then goto cont end
  io.write(j, " ")
  ::cont::
until j >= 9
print()
local outer = 0
local p = 0
while p < 5 do
  p = p + 1
  local q = 0
  repeat q = q + 1; outer = outer + q until q >= p
end
print(outer)

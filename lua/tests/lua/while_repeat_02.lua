-- while/repeat with complex conditions and locals visible in until
local i, j = 0, 100
while i < j and (i + j) % 97 ~= 0 do i = i + 3; j = j - 2 end
print(i, j)
local tries = 0
repeat
  tries = tries + 1
  local done = tries * tries > 500
until done
print(tries)
local s = 0
local k = 1
while k <= 1000 do s = s + k; k = k * 2 end
print(s, k)
local x = 100
while x > 1 do if x % 2 == 0 then x = x / 2 else x = x * 3 + 1 end end
print(x, math.type(x))
local n = 0
repeat n = n + 1 until n == 10 or n > 5 and n % 4 == 0
print(n)
local list = {5, 3, 8, 1}
local idx = 1
while list[idx] do idx = idx + 1 end
print(idx)
local a = 0
while true do
  a = a + 1
  if a < 5 then goto skip end
  if a > 8 then break end
  io.write(a, " ")
  ::skip::
end
print()

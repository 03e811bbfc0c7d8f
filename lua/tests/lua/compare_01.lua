-- comparison operators
print(1 < 2, 2 < 1, 1 <= 1, 1 >= 2, 1 == 1, 1 ~= 1)
print(1 < 1.5, 1.5 < 2, 2 == 2.0, 2 ~= 2.0)
print("a" < "b", "a" < "ab", "" < "a", "Z" < "a", "abc" == "abc")
print("10" < "9", 10 < 9)
print(math.maxinteger < 2^63, math.maxinteger + 0.0 == 2^63)
print(math.mininteger == -2^63, math.mininteger < -2^63)
print(0/0 == 0/0, 0/0 < 1, 0/0 > 1, 0/0 ~= 0/0)
print(math.huge > math.maxinteger, -math.huge < math.mininteger)
print(2^53 == 2^53 + 1, (1 << 53) + 1 == 2^53 + 1)
print(nil == false, {} == {}, "1" == 1)
local t = {}
print(t == t, print == print)
print(pcall(function() return 1 < "2" end))
print(pcall(function() return {} < {} end))
print(pcall(function() return nil < 1 end))
local n = 0
for i = 1, 100 do if i * 1.0 == i then n = n + 1 end end
print(n)
print(-0.0 == 0, 1 <= 1.0, 9007199254740993 < 9007199254740992.0)

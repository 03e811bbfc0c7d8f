-- integer numeric for loops
local s = 0
for i = 1, 10 do s = s + i end
print("1..10", s)
s = 0
for i = 10, 1, -1 do s = s * 2 + i end
print("down", s)
s = 0
for i = 1, 10, 3 do io.write(i, " ") end
print()
for i = 10, 1, -3 do io.write(i, " ") end
print()
for i = 1, 0 do print("never") end
for i = 0, 1, -1 do print("never") end
for i = 5, 5 do print("once", i) end
local n = 0
for i = math.maxinteger - 2, math.maxinteger do n = n + 1; io.write(i, " ") end
print(n)
n = 0
for i = math.mininteger + 2, math.mininteger, -1 do n = n + 1; io.write(i, " ") end
print(n)
n = 0
for i = math.mininteger, math.mininteger + 10, 5 do n = n + 1 end
print("minint step5", n)
n = 0
for i = 1, math.maxinteger, math.maxinteger // 2 do n = n + 1 end
print("huge step", n)
n = 0
for i = math.maxinteger - 10, math.maxinteger, 7 do n = n + 1; io.write(i, " ") end
print(n)
print(pcall(function() for i = 1, 10, 0 do end end))
print(pcall(function() for i = 1.0, 10, 0.0 do end end))
for i = 1, 3 do local j = i * 2; i = j; io.write(i, " ") end
print()

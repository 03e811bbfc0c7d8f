-- float and mixed for loops
for i = 0.0, 1.0, 0.25 do io.write(i, " ") end
print()
for i = 1, 2, 0.5 do io.write(i, " ", math.type(i), " ") end
print()
for i = 1.0, 3 do io.write(i, " ") end
print()
for i = 3, 1.5, -0.5 do io.write(i, " ") end
print()
local c = 0
for i = 0.1, 1.0, 0.1 do c = c + 1 end
print("tenths count", c)
for i = 1, 3.7 do io.write(i, math.type(i), " ") end
print()
for i = -1, -3.5, -1 do io.write(i, " ") end
print()
c = 0
for i = 1, math.huge do c = c + 1; if c == 5 then break end end
print("huge limit", c)
c = 0
for i = 1, -math.huge do c = c + 1 end
print("neg huge", c)
for i = 1, 2^53 + 10, 2^52 do io.write(math.type(i), " ") end
print()
print(pcall(function() for i = "a", 2 do end end))
print(pcall(function() for i = 1, {} do end end))
print(pcall(function() for i = 1, 2, "x" do end end))
for i = "1", 2 do io.write(math.type(i)," ") end
print()

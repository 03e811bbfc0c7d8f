-- int/float equivalence and conversions
print(3 == 3.0, math.type(3), math.type(3.0), 3 | 0, math.type(3.0 | 0))
print(2^53, math.type(2^53), 2^53 | 0, math.tointeger(2^53))
print((2^53 | 0) + 1, math.tointeger(2^53 + 1.0))
print(math.tointeger(2^63), math.tointeger(-2^63), math.tointeger(2^62))
print(pcall(function() return 2^63 | 0 end))
print(("0x10") + 0, ("1e2") + 0, (" 10 ") + 0, pcall(function() return "10a" + 0 end))
print(math.type("0x10" + 0), math.type("1e2" + 0), math.type(" 10 " + 0))
print(tonumber("0x10"), tonumber("1e2"), tonumber(" 10 "), tonumber("10a"))
local t = {}
t[1] = "int"; t[1.0] = "float key normalizes"; t[2^53] = "big"
print(t[1], t[2^53 | 0])
local n = 0
for k in pairs(t) do if math.type(k) == "integer" then n = n + 1 end end
print("integer keys", n)
print(1e15 | 0, 1e18 | 0, pcall(function() return 1e19 | 0 end))
print(-0.0 | 0, 3.0 // 1 | 0)
print(string.format("%d", 2^31), string.format("%d", -2^53))
print(math.floor(2.5), math.floor(-2.5), math.ceil(-2.5), math.floor(1e300) == 1e300)
print(math.maxinteger + 1.0 == math.maxinteger + 1.0, math.maxinteger + 1.0 == 2^63)
print(255 // 1 == 255.0, 1/2 == 0.5, 10 // 3.0)
print(string.rep("x", 3.0), ("abc"):sub(2.0), pcall(string.rep, "x", 2.5))
local arr = {10, 20, 30}
print(arr[2.0], arr[1 + 1.0], arr[3 // 1])
for i = 1.0, 3.0 do io.write(arr[i], " ") end
print()
print(#"abc" == 3.0, -(-3) == 3.0, 7 // 1.0 == 7)

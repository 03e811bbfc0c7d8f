-- number->string coercions in string functions and comparisons
print(("x"):rep(3), string.rep(12, 2), string.len(123), string.upper(1.5))
print(string.sub(12345, 2, 3), string.byte(5), string.format("%s", 7))
print(("10"):len(), (10 .. ""):len(), #tostring(2^63))
print(string.find(12345, 34), string.match(3.25, "%d+"), string.gsub(1000, "0", "o"))
print(10 == "10", tostring(10) == "10", 10 .. "" == "10")
print(pcall(function() return 10 < "11" end))
local keys = {}
keys[1] = "int"; keys["1"] = "str"
print(keys[1], keys["1"], keys[1.0])
print(tonumber("  0x1F  "), tonumber("1e1") == 10, math.type(tonumber("1e1")))
print("5" * "2", "5" // "2", "5" % "2", "5" / "2", "5" ^ "2", -"5")
print(math.type("5" * "2"), math.type("5" * "2.0"))
print("0x10" * 1, "1e1" * 1, " 3 " * 1)
local s = 0
for i = 1, 100 do s = s + tostring(i) end
print(s)

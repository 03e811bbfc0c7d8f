-- string <-> number coercions in arithmetic
print("10" + 1, "10" + 1.5, "3" * "4", "2" ^ "3")
print(math.type("10" + 1), math.type("10.0" + 1), math.type("1e1" + 0))
print("0x10" + 0, " 5 " + 0, "5\t" * 2)
print(10 .. "", "7" // 2, "7.5" // 2, "-7" % 3)
print(pcall(function() return "abc" + 1 end))
print(pcall(function() return "10a" + 1 end))
print(pcall(function() return {} + 1 end))
print(-"2", -"2.5", -"0x10")
print("1" == 1, "1" + 0 == 1)
print(#"123" + 1)
local total = 0
for _, s in ipairs({"1", "2.5", "0x3", " 4 ", "5e0"}) do total = total + s end
print(total)
print("9007199254740993" + 0, "9007199254740993.0" + 0)
print("0x7fffffffffffffff" + 0, "0xffffffffffffffff" + 0)

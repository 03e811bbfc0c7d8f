-- concatenation
print("a" .. "b", "a" .. 1, 1 .. "a", 1 .. 2)
print(1.5 .. "", 2.0 .. "|", -0.0 .. "", 1e100 .. "")
print(math.maxinteger .. "", math.mininteger .. "")
local s = ""
for i = 1, 10 do s = s .. i .. "," end
print(s)
print("x" .. "y" .. "z" .. 1 .. 2.5)
print(pcall(function() return "a" .. {} end))
print(pcall(function() return "a" .. nil end))
print(pcall(function() return true .. "" end))
local parts = {}
for i = 1, 5 do parts[i] = "p" .. i end
print(table.concat(parts, "-"))
local long = string.rep("ab", 100)
print(#(long .. long), #("" .. ""))
local a, b, c = "1", 2, 3.0
print(a .. b .. c)
print(("x"):rep(3) .. 7 // 2)

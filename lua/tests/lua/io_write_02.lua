-- io.write formatting of many number kinds vs print/tostring
local nums = {0, -0.0, 1.0, 0.1, 1e15, 1e16, 2^53, -2^63, 1/3, 100 / 4, 7 // 2, 7 // 2.0}
for _, n in ipairs(nums) do io.write(n, "\t", tostring(n), "\n") end
io.write(string.format("%5.2f", 3.14159), "|", 42, "|", "str", "\n")
local f = io.stdout
f:write("a"):write("b"):write(1):write(2.0):write("\n")
local parts = {}
for i = 1, 10 do parts[#parts+1] = i / 2 end
io.write(table.concat(parts, " "), "\n")
for i = 1, 10 do io.write(i / 2, " ") end
io.write("\n")
print(io.write("") == io.stdout)
io.stdout:write(string.rep("=", 20), "\n")

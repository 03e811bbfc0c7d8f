-- string.format in loops, tables of rows
local rows = {}
for i = 1, 10 do
  rows[#rows+1] = string.format("%3d|%-6s|%8.3f|%5.1f%%|%04x", i, ("r" .. i), i / 7, i * 9.5, i * 4099)
end
print(table.concat(rows, "\n"))
local acc = {}
for i = -3, 3 do acc[#acc+1] = string.format("%+d:% d:%g", i, i, i / 2) end
print(table.concat(acc, " "))
local widths = {}
for w = 1, 8 do widths[w] = string.format("[%" .. w .. "d]", 123) end
print(table.concat(widths))
local precs = {}
for p = 0, 6 do precs[#precs+1] = string.format("%." .. p .. "f", math.pi) end
print(table.concat(precs, " "))
print(string.format("%s=%d", "k", 1):rep(3, ";"))
print(string.format("%5.2s|", "abc"), string.format("%-3c|", 65))
print(string.format("%x", 3.0), pcall(string.format, "%x", 3.5))
print(string.format("%.0f %.0f %.0f %.0f", 0.5, 1.5, 2.5, 3.5))
print(string.format("%i|%5i|%-5i|", -1, -1, -1))

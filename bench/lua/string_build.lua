-- bench: string building with table.concat and ..
local N = tonumber(arg and arg[1]) or 800000
local parts = {}
for i = 1, N do parts[#parts + 1] = "item" .. i .. ";" end
local s = table.concat(parts)
local total = #s
for r = 1, 20 do
  local acc = ""
  for i = 1, 1000 do acc = acc .. (i % 10) end
  total = total + #acc
end
local rows = {}
for i = 1, math.floor(N / 10) do rows[i] = table.concat({i, i * 2, "x" .. i}, ",") end
total = total + #table.concat(rows, "\n")
print(total)

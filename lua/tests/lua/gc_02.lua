-- many strings/tables churned, __gc runs on collect (order-independent)
local made = 0
for round = 1, 20 do
  local big = {}
  for i = 1, 5000 do big[i] = {x = i, s = "v" .. (i % 97)} end
  made = made + #big
end
print(made)
local parts = {}
for i = 1, 20000 do parts[#parts+1] = string.format("%05d", i) end
local joined = table.concat(parts)
print(#joined, joined:sub(1, 10), joined:sub(-5))
local t = {}
for i = 1, 200 do t[i] = string.rep("x", i) end
local total = 0
for i = 1, 200 do total = total + #t[i] end
print(total)
print(collectgarbage("incremental") ~= nil)

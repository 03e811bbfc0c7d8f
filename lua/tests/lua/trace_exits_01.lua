-- loops with rare branches (side exits) taken at various iterations
local s = 0
for i = 1, 1000 do
  if i % 97 == 0 then s = s + 1000 elseif i % 13 == 0 then s = s - 7 else s = s + 1 end
end
print(s)
local found = {}
for i = 1, 2000 do
  if i * i % 1009 == 1 then found[#found+1] = i end
end
print(table.concat(found, " "))
local n, steps = 27, 0
while n ~= 1 do
  if n % 2 == 0 then n = n // 2 else n = 3 * n + 1 end
  steps = steps + 1
end
print(steps)
local early
for i = 1, 10000 do if i * 7 % 5003 == 0 then early = i; break end end
print(early)
local count = 0
for i = 1, 100 do
  for j = 1, 100 do
    if (i + j) % 50 == 0 then break end
    count = count + 1
  end
end
print(count)
local errs = 0
for i = 1, 500 do
  local ok = pcall(function() if i % 100 == 0 then error("x") end return i end)
  if not ok then errs = errs + 1 end
end
print(errs)
local t = {}
for i = 1, 500 do t[i] = i end
t[250] = "oops"
local total, bad = 0, 0
for i = 1, 500 do local v = t[i]; if type(v) == "number" then total = total + v else bad = bad + 1 end end
print(total, bad)

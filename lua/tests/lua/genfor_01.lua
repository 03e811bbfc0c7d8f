-- generic for: ipairs, pairs(sorted), custom iterators
local t = {"a", "b", "c", "d"}
for i, v in ipairs(t) do io.write(i, "=", v, " ") end
print()
local h = {x = 1, y = 2, z = 3, [1] = "one"}
local keys = {}
for k in pairs(h) do keys[#keys+1] = tostring(k) end
table.sort(keys)
print(table.concat(keys, ","))
local function range(n)
  local i = 0
  return function() i = i + 1; if i <= n then return i end end
end
local s = 0
for i in range(10) do s = s + i end
print("range", s)
local function iter(st, c) if c < st then return c + 1, c * c end end
for a, b in iter, 5, 0 do io.write(a, ":", b, " ") end
print()
local holes = {1, 2, nil, 4}
local n = 0
for _ in ipairs(holes) do n = n + 1 end
print("ipairs stops", n)
local cnt = 0
for k, v in pairs({10, 20, 30}) do cnt = cnt + k * v end
print(cnt)
for k, v in next, {5} do print(k, v) end
local mt = setmetatable({}, {__index = function(_, i) if i <= 3 then return i * 10 end end})
for i, v in ipairs(mt) do io.write(i, ":", v, " ") end
print()

-- generic for with closing value (4th value), string iterators, nested generic loops
local closed = 0
local function iter_with_close(n)
  local i = 0
  local closer = setmetatable({}, {__close = function() closed = closed + 1 end})
  return function() i = i + 1; if i <= n then return i end end, nil, nil, closer
end
local s = 0
for v in iter_with_close(5) do s = s + v end
for v in iter_with_close(5) do if v == 2 then break end end
print(s, closed)
local ok = pcall(function() for v in iter_with_close(5) do if v == 3 then error("stop") end end end)
print(ok, closed)
local m = {}
for k, v in pairs({a = 1, b = 2}) do
  for i, w in ipairs({10, 20}) do m[#m+1] = k .. i .. ":" .. v * w end
end
table.sort(m)
print(table.concat(m, " "))
local count = 0
for w in ("a b c d e"):gmatch("%a") do for c in ("xy"):gmatch(".") do count = count + 1 end end
print(count)
for i, v in ipairs({}) do print("never") end
for k, v in pairs({}) do print("never") end
local t = {10, 20, 30}
for i, v in ipairs(t) do if i == 1 then t[4] = 40 end; io.write(v, " ") end
print()
print(pcall(function() for x in 42 do end end))

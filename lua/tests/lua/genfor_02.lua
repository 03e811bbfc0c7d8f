-- __pairs and stateful iterators, modifying values during traversal
local proxy = setmetatable({}, {__pairs = function(t)
  local i = 0
  return function() i = i + 1; if i <= 3 then return i, i * 100 end end, t, nil
end})
for k, v in pairs(proxy) do io.write(k, "=", v, " ") end
print()
local t = {}
for i = 1, 20 do t[i] = i end
for k, v in pairs(t) do t[k] = v * 2 end
local s = 0
for _, v in ipairs(t) do s = s + v end
print(s)
local d = {a = 1, b = 2, c = 3, d = 4}
for k in pairs(d) do d[k] = nil end
print(next(d))
local function chars(str)
  return function(s, i)
    i = i + 1
    if i <= #s then return i, s:sub(i, i) end
  end, str, 0
end
for i, c in chars("hello") do io.write(c:upper(), i) end
print()
local function zip(a, b)
  local i = 0
  return function() i = i + 1; if a[i] and b[i] then return a[i], b[i] end end
end
for x, y in zip({1, 2, 3}, {"a", "b", "c", "d"}) do io.write(x, y, " ") end
print()

-- pcall/error in hot loops, pcall returning many values, error objects preserved identity
local errobj = {}
local same = 0
for i = 1, 300 do
  local ok, e = pcall(error, errobj)
  if e == errobj then same = same + 1 end
end
print(same)
local function maybe(i) if i % 10 == 0 then error(i, 0) end return i, i * 2 end
local s, errs = 0, 0
for i = 1, 500 do
  local ok, a, b = pcall(maybe, i)
  if ok then s = s + a + b else errs = errs + a end
end
print(s, errs)
print(pcall(pcall, pcall, error, "e"))
print(select("#", pcall(function() return 1, nil, nil end)))
local ok, e = pcall(function() local t = setmetatable({}, {__add = function() error("in add", 0) end}); return t + 1 end)
print(ok, e)
ok, e = pcall(function() local t = setmetatable({}, {__index = function() error({where = "index"}) end}); return t.x end)
print(ok, e.where)
ok, e = pcall(string.gsub, "abc", "%w", function() error("in gsub cb", 0) end)
print(ok, e)
ok, e = pcall(table.sort, {3, 2, 1}, function() error("in sort cb", 0) end)
print(ok, e)
local depth = 0
local function nested(n) depth = depth + 1; if n == 0 then error("bottom", 0) end local ok, e = pcall(nested, n - 1); error(e, 0) end
print(pcall(nested, 100), depth)

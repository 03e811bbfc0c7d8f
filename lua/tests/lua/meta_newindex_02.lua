-- __newindex tracks assignments in hot loops; proxies
local function readonly(t)
  return setmetatable({}, {__index = t, __newindex = function(_, k) error("attempt to modify " .. tostring(k), 2) end, __len = function() return #t end})
end
local ro = readonly({1, 2, 3})
print(ro[1], #ro, pcall(function() ro[1] = 5 end))
local writes = 0
local watched = setmetatable({}, {__newindex = function(t, k, v) writes = writes + 1; rawset(t, k, v) end})
for i = 1, 300 do watched[i % 10] = i end
print(writes, watched[0], watched[9])
local backing = {}
local p = setmetatable({}, {__newindex = function(_, k, v) backing[k] = v and v * 2 end, __index = backing})
for i = 1, 5 do p[i] = i end
print(p[1], p[5], rawget(p, 1))
local sealed = setmetatable({a = 1}, {__newindex = function(t, k, v) rawset(t, k, "sealed:" .. tostring(v)) end})
sealed.a = 2; sealed.b = 3
print(sealed.a, sealed.b)

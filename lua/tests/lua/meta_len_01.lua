-- __len
local L = setmetatable({1, 2, 3}, {__len = function() return 42 end})
print(#L, rawlen(L))
local dyn = setmetatable({n = 0}, {__len = function(t) return t.n end})
for i = 1, 5 do dyn.n = dyn.n + 2 end
print(#dyn)
local s = 0
local q = setmetatable({}, {__len = function() return 3 end, __index = function(_, i) return i * 10 end})
for i = 1, #q do s = s + q[i] end
print(s)
print(#"hello", #"", #"\0\0")
print(pcall(function() return #5 end))
print(pcall(function() return #nil end))
local ret = setmetatable({}, {__len = function() return "len" end})
print(#ret)
local multi = setmetatable({}, {__len = function() return 1, 2 end})
print(#multi)
local fl = setmetatable({}, {__len = function() return 2.5 end})
print(#fl)
local ok, e = pcall(function() for i = 1, #setmetatable({}, {__len = function() return "x" end}) do end end)
print(ok, e)
local t = {}
for i = 1, 10 do t[i] = i end
local c = 0
for i = 1, 1000 do c = c + #t end
print(c)

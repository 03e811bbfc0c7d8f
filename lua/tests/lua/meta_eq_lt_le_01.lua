-- __eq, __lt, __le
local P = {}
local function pt(v) return setmetatable({v = v}, P) end
P.__eq = function(a, b) return a.v == b.v end
P.__lt = function(a, b) return a.v < b.v end
P.__le = function(a, b) return a.v <= b.v end
local a, b, c = pt(1), pt(2), pt(1)
print(a == c, a ~= c, a == b, rawequal(a, c))
print(a < b, b < a, a <= c, b <= a, a > b, b >= a)
local list = {pt(5), pt(3), pt(9), pt(1), pt(7)}
table.sort(list)
local o = {}
for i, p in ipairs(list) do o[i] = p.v end
print(table.concat(o, " "))
table.sort(list, function(x, y) return x > y end)
o = {}
for i, p in ipairs(list) do o[i] = p.v end
print(table.concat(o, " "))
local Q = {__eq = function() return "truthy" end}
local q1, q2 = setmetatable({}, Q), setmetatable({}, Q)
print(q1 == q2, q1 ~= q2)
local n = setmetatable({}, {__eq = function() return true end})
print(n == 1, n == "x", n == {})
local L = {__lt = function(a, b) return 1 end}
local l1 = setmetatable({}, L)
print(l1 < l1, l1 > l1, pcall(function() return l1 <= l1 end))
print(pcall(function() return pt(1) < 5 end))
local mixed = setmetatable({}, {__lt = function(x, y) return type(x) == "number" end})
print(1 < mixed, mixed < 1)
local cnt = 0
local E = {__eq = function(a, b) cnt = cnt + 1; return false end}
local e1, e2 = setmetatable({}, E), setmetatable({}, E)
for i = 1, 100 do if e1 == e2 then end; if e1 == e1 then end end
print(cnt)

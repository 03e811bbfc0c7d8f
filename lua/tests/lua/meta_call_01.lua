-- __call
local callable = setmetatable({name = "obj"}, {__call = function(self, a, b) return self.name, a, b end})
print(callable(1, 2))
print(pcall(callable, "x"))
local counter = setmetatable({n = 0}, {__call = function(self) self.n = self.n + 1; return self.n end})
for i = 1, 10 do counter() end
print(counter.n)
local Class = setmetatable({}, {__call = function(cls, v) return setmetatable({v = v}, {__index = cls}) end})
function Class.get(self) return self.v end
local inst = Class(42)
print(inst:get())
local multi = setmetatable({}, {__call = function(_, ...) return select("#", ...), ... end})
print(multi(nil, nil, 3))
local memo = setmetatable({}, {__call = function(self, n) local v = rawget(self, n); if v then return v end v = n * n; rawset(self, n, v); return v end})
local s = 0
for i = 1, 100 do s = s + memo(i % 10) end
print(s)
local nested = setmetatable({}, {__call = callable})
local r = table.pack(pcall(nested, "y"))
print(r.n, r[1], r[2], r[3] == nested, r[4])
local t = {f = callable}
print(t.f("z"))
local ok, err = pcall(function() local x = setmetatable({}, {}) return x() end)
print(ok, err)
print(pcall(function() return ("str")() end))
local s2 = 0
local acc = setmetatable({}, {__call = function(self, x) s2 = s2 + x end})
for i = 1, 1000 do acc(i) end
print(s2)

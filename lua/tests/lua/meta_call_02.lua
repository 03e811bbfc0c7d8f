-- __call in loops, functors, call with methods
local Functor = {}
Functor.__index = Functor
Functor.__call = function(self, x) return self.k * x end
local fs = {}
for i = 1, 10 do fs[i] = setmetatable({k = i}, Functor) end
local s = 0
for r = 1, 50 do for i = 1, 10 do s = s + fs[i](r) end end
print(s)
local obj = setmetatable({}, {__call = function(self, a, b, c) return a, b, c end})
print(obj(1, 2, 3))
print(obj())
local wrap = setmetatable({}, {__call = function(_, f, ...) return f(...) end})
print(wrap(math.max, 3, 9, 2))
print(pcall(wrap, nil))
local chain = setmetatable({}, {__call = function(self) return self end})
print(chain()()() == chain)

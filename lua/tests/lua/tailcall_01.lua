-- deep tail recursion must not grow the stack
local function loop(n, acc)
  if n == 0 then return acc end
  return loop(n - 1, acc + 1)
end
print(loop(100000, 0))
print(loop(1000000, 0))
local even, odd
function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
print(even(100001), odd(100001))
local function count(n, ...)
  if n == 0 then return select("#", ...) end
  return count(n - 1, ...)
end
print(count(200000, 1, 2, 3))
local obj = {n = 0}
function obj:step(k) if k == 0 then return self.n end self.n = self.n + 2 return self:step(k - 1) end
print(obj:step(150000))
local function tc_builtin(n) if n == 0 then return math.max(1, 2, 3) end return tc_builtin(n - 1) end
print(tc_builtin(100000))
local mt = setmetatable({}, {__call = function(self, n, acc) if n == 0 then return acc end return self(n - 1, acc + n) end})
print(mt(100000, 0))

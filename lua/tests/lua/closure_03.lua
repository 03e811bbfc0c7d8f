-- closures in nested functions, recursion via local function, upvalues of upvalues
local function outer()
  local a = 1
  local function mid()
    local b = 2
    local function inner()
      a = a + 1; b = b + 1
      return a + b
    end
    return inner
  end
  return mid(), mid(), function() return a end
end
local i1, i2, geta = outer()
print(i1(), i1(), i2(), geta())
local function mk()
  local fact
  fact = function(n) if n <= 1 then return 1 end return n * fact(n - 1) end
  return fact
end
print(mk()(10))
local acc = {}
for i = 1, 3 do
  for j = 1, 3 do
    acc[#acc+1] = function() return i * 10 + j end
  end
end
local out = {}
for k = 1, #acc do out[k] = acc[k]() end
print(table.concat(out, " "))
local function gen()
  local state = 0
  return {
    inc = function() state = state + 1 end,
    get = function() return state end,
    reset = function() state = 0 end,
  }
end
local g = gen()
g.inc(); g.inc(); g.inc()
print(g.get()); g.reset(); print(g.get())

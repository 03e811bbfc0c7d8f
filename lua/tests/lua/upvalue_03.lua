-- upvalues captured by coroutines and shared across closure generations
local log = {}
local x = 0
local co = coroutine.wrap(function()
  for i = 1, 3 do x = x + 10; coroutine.yield(x) end
end)
co(); x = x + 1; co(); x = x + 1; co()
print(x)
local function gen()
  local state = 1
  local function nxt() state = state * 2; return state end
  local function peek() return state end
  return nxt, peek
end
local n1, p1 = gen()
local n2, p2 = gen()
n1(); n1(); n2()
print(p1(), p2())
local t = {}
do
  local a = 1
  local function f() return a end
  t.f = f
  a = 2
  t.g = function() a = a + 1 end
end
t.g()
print(t.f())
local function outer()
  local v = "outer"
  return function() return function() return function() return v end end end
end
print(outer()()()())
local rec
local depth = 0
rec = function(n) depth = depth + 1; if n > 0 then return rec(n - 1) end return depth end
print(rec(50))

-- closures capturing loop variables: fresh per iteration
local fs = {}
for i = 1, 5 do fs[i] = function() return i end end
for i = 1, 5 do io.write(fs[i](), " ") end
print()
local gs = {}
for _, v in ipairs({"a", "b", "c"}) do gs[#gs+1] = function() return v end end
print(gs[1](), gs[2](), gs[3]())
local hs = {}
local j = 0
while j < 3 do
  j = j + 1
  local k = j
  hs[j] = function() k = k + 10; return k end
end
print(hs[1](), hs[1](), hs[2](), hs[3]())
local shared = {}
local x = 0
for i = 1, 3 do shared[i] = function() x = x + i; return x end end
print(shared[1](), shared[2](), shared[3](), x)
local function counter()
  local c = 0
  return function() c = c + 1; return c end
end
local c1, c2 = counter(), counter()
print(c1(), c1(), c1(), c2())
local function adder(n) return function(m) return n + m end end
local add5 = adder(5)
print(add5(1), adder(10)(20))
local cs = {}
for i = 1, 3 do
  local y = i * 2
  cs[i] = function() return i, y end
  y = y + 1
end
print(cs[1]()); print(cs[2]()); print(cs[3]())

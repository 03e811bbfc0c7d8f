-- closures over loop vars in while/repeat/generic-for, and in nested functions created per iteration
local fs = {}
local i = 1
while i <= 3 do local j = i; fs[#fs+1] = function() return j end; i = i + 1 end
local k = 1
repeat local j = k * 10; fs[#fs+1] = function() return j end; k = k + 1 until k > 3
for key, val in pairs({a = 1}) do fs[#fs+1] = function() return key .. val end end
local out = {}
for n = 1, #fs do out[n] = tostring(fs[n]()) end
print(table.concat(out, " "))
local makers = {}
for a = 1, 3 do
  makers[a] = function(b) return function(c) return a * 100 + b * 10 + c end end
end
print(makers[1](2)(3), makers[3](1)(2))
local acc = {}
for x = 1, 3 do
  for y = 1, 2 do
    acc[#acc+1] = function() x = x + 100; return x + y end
  end
end
print(acc[1](), acc[2](), acc[3](), acc[1]())
local function counterPair()
  local n = 0
  return function() n = n + 1 return n end, function() n = n - 1 return n end
end
local inc, dec = counterPair()
inc(); inc(); inc(); dec()
print(inc())
local same = {}
for r = 1, 2 do
  local shared = 0
  same[r] = {function() shared = shared + 1 end, function() return shared end}
end
same[1][1](); same[1][1](); same[2][1]()
print(same[1][2](), same[2][2]())

-- upvalues written in hot loops and read from closures afterwards
local counter = 0
local function bump(k) counter = counter + k end
for i = 1, 1000 do bump(i % 5) end
print(counter)
local fns = {}
for i = 1, 200 do
  local local_i = i
  fns[i] = function() local_i = local_i + 1; return local_i end
end
local s = 0
for r = 1, 3 do for i = 1, 200 do s = s + fns[i]() end end
print(s)
local function make()
  local n = 0
  local function step() n = n + 1; return n end
  for i = 1, 500 do step() end
  return n, step()
end
print(make())
local x = 1.5
local g = function() return x end
local acc = 0
for i = 1, 300 do if i == 150 then x = 2 end; acc = acc + g() end
print(acc)
local str = ""
local app = function(c) str = str .. c end
for i = 1, 100 do app(string.char(97 + i % 26)) end
print(#str, str:sub(1, 30))

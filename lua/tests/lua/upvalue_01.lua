-- shared upvalues between closures
local function pair()
  local v = 0
  local function set(x) v = x end
  local function get() return v end
  return set, get
end
local set, get = pair()
set(42); print(get())
set("str"); print(get())
local s2, g2 = pair()
s2(1); print(get(), g2())
local x = 1
local function f() return x end
x = 2
print(f())
local t = {}
do
  local shared = 0
  for i = 1, 4 do t[i] = function() shared = shared + i; return shared end end
end
print(t[1](), t[2](), t[3](), t[4](), t[1]())
local function loopcap()
  local r = {}
  local k = 0
  while k < 3 do
    k = k + 1
    r[k] = function() return k end
  end
  return r
end
local r = loopcap()
print(r[1](), r[2](), r[3]())
local a, b = 1, 2
local function swap() a, b = b, a end
swap(); print(a, b); swap(); print(a, b)
local up = 0
local function deep(n) if n == 0 then up = up + 1 return up end return deep(n - 1) end
for i = 1, 5 do deep(10) end
print(up)

-- Locals kept in registers across loop iterations while other code writes them: closures
-- through open upvalues, __newindex and __index functions that write captured locals,
-- calls that return into the frame, and table stores next to register stores.
local x = 0
local function inc() x = x + 1 end
for i = 1, 1000 do
  x = x + 1
  inc()
  x = x + 1
end
print("upvalue", x)

local y, log = 0, 0
local t = setmetatable({}, {__newindex = function(tb, k, v) y = y + v; log = log + 1 end,
  __index = function(tb, k) y = y * 2 % 1000003; return 1 end})
for i = 1, 500 do
  t[i] = i
  y = y + t.missing
end
print("meta", y, log)

local a, b = {}, {0, 0}
local s = 0
for i = 1, 1000 do
  s = s + i
  a[i] = s
  b[1] = b[1] + s
  b[2] = b[1] - i
end
print("tables", s, a[1000], b[1], b[2])

local function pair(v) return v, v + 1 end
local p, q = 0, 0
for i = 1, 600 do
  p, q = pair(p + q)
  p = p % 1000
  q = q % 997
end
print("calls", p, q)

local counter = 0
local co = coroutine.wrap(function()
  for i = 1, 300 do counter = counter + i; coroutine.yield(counter) end
end)
local got = 0
for i = 1, 300 do got = got + co() + counter end
print("coroutine", got, counter)

local cells = {}
for i = 1, 5 do
  local v = i
  cells[i] = {get = function() return v end, set = function(n) v = n end}
end
local z = 0
for r = 1, 200 do
  for i = 1, 5 do
    local c = cells[i]
    c.set(c.get() + r)
    z = z + c.get()
  end
end
print("cells", z)

-- __newindex with functions and tables
local log = {}
local t = setmetatable({}, {__newindex = function(t, k, v) log[#log+1] = k .. "=" .. tostring(v); rawset(t, k, v) end})
t.a = 1; t.b = 2; t.a = 3
print(table.concat(log, " "), t.a, t.b)
local store = {}
local p = setmetatable({}, {__newindex = store, __index = store})
p.x = 10
print(rawget(p, "x"), store.x, p.x)
local ro = setmetatable({}, {__newindex = function(_, k) error("readonly " .. k, 2) end})
print(pcall(function() ro.z = 1 end))
local existing = setmetatable({k = 1}, {__newindex = function() error("should not fire") end})
existing.k = 2
print(existing.k)
local cnt = 0
local c = setmetatable({}, {__newindex = function(t, k, v) cnt = cnt + 1; rawset(t, k, v) end})
for i = 1, 100 do c[i] = i end
for i = 1, 100 do c[i] = i * 2 end
print(cnt, c[100])
local chain2 = {}
local chain1 = setmetatable({}, {__newindex = chain2})
local top = setmetatable({}, {__newindex = chain1})
top.q = "deep"
print(rawget(top, "q"), rawget(chain1, "q"), chain2.q)
local arr = setmetatable({}, {__newindex = function(t, k, v) rawset(t, k, v * 10) end})
arr[1] = 1; arr[2] = 2; arr[1] = 5
print(arr[1], arr[2])
local tracked = setmetatable({}, {__newindex = function(t, k, v) if v ~= nil then rawset(t, k, v) end end})
tracked.n = nil
print(next(tracked))

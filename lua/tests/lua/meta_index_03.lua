-- __index on strings, rawget/rawset bypass, __index returning multiple values
local smt = getmetatable("")
print(("abc"):len(), ("%d"):format(5), ("x"):rep(2))
local t = setmetatable({}, {__index = function(t, k) return k, "extra" end})
print(t.foo)
local r = setmetatable({}, {__index = {a = 1}, __newindex = function() error("no") end})
rawset(r, "b", 2)
print(r.a, r.b, rawget(r, "a"))
local depth = {}
local cur = {leaf = "found"}
for i = 1, 50 do cur = setmetatable({}, {__index = cur}) end
print(cur.leaf)
local numidx = setmetatable({}, {__index = function(_, k) return math.type(k) end})
print(numidx[1], numidx[1.5], numidx[2^53])
local default = setmetatable({}, {__index = function() return 0 end})
local text = "hello world"
for c in text:gmatch("%a") do default[c] = default[c] + 1 end
print(default.l, default.o, default.z)
print(rawget(setmetatable({}, {__index = {x = 1}}), "x"))
local ok, e = pcall(rawset, {}, nil, 1)
print(ok, e)

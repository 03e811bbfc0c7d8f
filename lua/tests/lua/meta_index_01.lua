-- __index with tables and functions, chains, rawget
local base = {greet = "hello", n = 1}
local derived = setmetatable({n = 2}, {__index = base})
print(derived.greet, derived.n, rawget(derived, "greet"))
local calls = 0
local lazy = setmetatable({}, {__index = function(t, k) calls = calls + 1; local v = k .. "!"; rawset(t, k, v); return v end})
print(lazy.a, lazy.a, lazy.b, calls)
local c3 = setmetatable({}, {__index = setmetatable({}, {__index = setmetatable({}, {__index = {deep = "yes"}})})})
print(c3.deep, c3.missing)
local arr = setmetatable({1, 2}, {__index = function(_, i) return i * 100 end})
print(arr[1], arr[2], arr[3], #arr)
local s = "abc"
print(s:upper(), ("x"):rep(3), #s)
local smt = getmetatable("")
print(type(smt), smt.__index == string)
local def = setmetatable({}, {__index = function() return 0 end})
for i = 1, 5 do def[i % 2] = def[i % 2] + i end
print(def[0], def[1], def[2])
print(getmetatable(setmetatable({}, {__metatable = "locked"})))
print(pcall(setmetatable, setmetatable({}, {__metatable = 1}), {}))
local num = 0
local cnt = setmetatable({}, {__index = function(t, k) num = num + 1 return nil end})
for i = 1, 100 do local _ = cnt.x end
print(num)
print(rawequal(base, base), rawlen({1, 2, 3}), rawlen("abcd"))

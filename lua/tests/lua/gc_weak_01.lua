-- weak tables and __gc finalizers (full collections make these deterministic in 5.4)
local weak = setmetatable({}, {__mode = "k"})
weak[{}] = 1
local strong = {}
weak[strong] = 2
collectgarbage()
local cnt = 0
for k, v in pairs(weak) do cnt = cnt + 1 end
print("weak entries", cnt, weak[strong])
local finalized = 0
do
  for i = 1, 10 do setmetatable({}, {__gc = function() finalized = finalized + 1 end}) end
end
collectgarbage(); collectgarbage()
print("finalized", finalized)
local cache = setmetatable({}, {__mode = "v"})
local anchor = {}
cache.a = anchor
cache.b = {}
collectgarbage()
print(cache.a == anchor, cache.b)
local wk = setmetatable({}, {__mode = "k"})
local keys = {}
for i = 1, 10 do local k = {}; wk[k] = i; if i % 2 == 0 then keys[#keys+1] = k end end
collectgarbage()
local c, s = 0, 0
for k, v in pairs(wk) do c = c + 1; s = s + v end
print("weak-k survivors", c, s)
local order = {}
do
  local a = setmetatable({}, {__gc = function() order[#order+1] = "a" end})
  local b = setmetatable({}, {__gc = function() order[#order+1] = "b" end})
end
collectgarbage()
table.sort(order)
print(table.concat(order, ","))
local wstr = setmetatable({}, {__mode = "v"})
wstr[1] = "strings are values, never collected"
wstr[2] = 42
collectgarbage()
print(wstr[1], wstr[2])

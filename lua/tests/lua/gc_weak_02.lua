-- ephemerons, resurrection in finalizers, finalizer order, finalizers at exit
local function fill(t, n, make)
  for i = 1, n do make(t, i) end
end
-- an ephemeron: a value that refers to its own key does not keep the entry alive
local eph = setmetatable({}, {__mode = "k"})
fill(eph, 5, function(t, i) local k = {i}; t[k] = {key = k} end)
local kept = {}
eph[kept] = {key = kept}
collectgarbage()
local n = 0
for k, v in pairs(eph) do n = n + 1; assert(v.key == k) end
print("ephemeron entries", n)
-- a chain: entry 2's key is reachable only through entry 1's value
local chain = setmetatable({}, {__mode = "k"})
local root = {}
do
  local k2 = {}
  chain[root] = k2
  chain[k2] = "second"
end
collectgarbage()
local c = 0
for _ in pairs(chain) do c = c + 1 end
print("chain entries", c, chain[chain[root]])
-- weak values: strings, numbers and booleans stay, tables and functions go
local wv = setmetatable({}, {__mode = "v"})
fill(wv, 1, function(t) t.s = "str" .. 1; t.n = 3.5; t.b = false; t.f = function() end; t.t = {} end)
collectgarbage()
print("weak values", wv.s, wv.n, wv.b, wv.f, wv.t)
-- both weak
local kv = setmetatable({}, {__mode = "kv"})
local anchor = {}
fill(kv, 1, function(t) t[anchor] = {}; t[{}] = anchor; t.x = anchor end)
collectgarbage()
local cnt = 0
for k, v in pairs(kv) do cnt = cnt + 1 end
print("kv entries", cnt, kv.x == anchor)
-- finalizers: newest first, resurrection, errors dropped, a non-function ignored
local log = {}
local saved
fill({}, 1, function()
  setmetatable({}, {__gc = function() log[#log + 1] = "first" end})
  setmetatable({}, {__gc = function() log[#log + 1] = "second" end})
  setmetatable({}, {__gc = function() error("dropped") end})
  setmetatable({}, {__gc = 42})
  setmetatable({name = "phoenix"}, {__gc = function(o) saved = o; log[#log + 1] = "resurrect" end})
end)
collectgarbage()
print(table.concat(log, " "), saved and saved.name)
saved = nil
log = {}
collectgarbage()
print("finalized once", #log)
-- __gc added after setmetatable does not make the object finalizable
local late = {}
fill({}, 1, function()
  local mt = {}
  setmetatable({}, mt)
  mt.__gc = function() late[#late + 1] = "late" end
end)
collectgarbage()
print("late __gc runs", #late)
-- a weak-keyed cache of objects being finalized keeps them until they are freed
local cache = setmetatable({}, {__mode = "k"})
local seen
fill({}, 1, function()
  local o = setmetatable({}, {__gc = function(o) seen = cache[o] end})
  cache[o] = "cached"
end)
collectgarbage()
print("key during finalizer", seen)
collectgarbage()
local left = 0
for _ in pairs(cache) do left = left + 1 end
print("cache after", left)
-- memory goes down after dropping a big table
local big = {}
for i = 1, 100000 do big[i] = {i} end
local before = collectgarbage("count")
big = nil
collectgarbage()
print("freed", collectgarbage("count") < before / 2)
-- finalizers at exit
setmetatable({}, {__gc = function() print("closing: finalizer at exit") end})
print("end of chunk")

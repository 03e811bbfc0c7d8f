-- The table library's errors, for plain tables and through metamethods (the Lua path):
-- lua5.4's messages, argument numbers, names ('table.insert' when pcall calls it straight)
-- and positions. Ends with an uncaught error from the metamethod path.

local function direct(f, ...) print(pcall(f, ...)) end
local function called(f) print(pcall(f)) end
-- A proxy: every read goes through __index.
local function P(t) return setmetatable(t or {}, {__index = function() return nil end}) end

for _, mk in ipairs({function(t) return t or {} end, P}) do
  print("-- " .. (mk == P and "proxy" or "plain"))
  direct(table.insert, mk(), 5, 1)
  direct(table.insert, mk(), "x", 1)
  direct(table.insert, mk(), 1, 2, 3)
  direct(table.insert, mk())
  direct(table.remove, mk(), 7)
  direct(table.remove, mk(), 1.5)
  direct(table.concat, mk({1, {}}))
  direct(table.concat, mk({1, 2}), {})
  direct(table.concat, mk({1, 2}), ",", "a")
  direct(table.concat, mk({1, 2}), ",", 1, 2.5)
  direct(table.unpack, mk(), 1, 1e8)
  direct(table.unpack, mk(), "z")
  direct(table.move, mk(), 1, math.maxinteger, 2)
  direct(table.move, mk(), -1, math.maxinteger, 2)
  direct(table.move, mk(), 1, 2, math.maxinteger)
  direct(table.move, mk(), "1", 2, 3, 4)
  direct(table.move, mk(), {}, 2, 3)
  direct(table.sort, mk({3, 1, 2}), 5)
  print(pcall(pcall, table.insert, mk(), 5, 1))
  called(function() table.insert(mk(), 5, 1) end)
  called(function() table.insert(mk(), "x", 1) end)
  called(function() table.insert(mk(), 1, 2, 3) end)
  called(function() table.remove(mk(), 7) end)
  called(function() table.concat(mk({1, {}})) end)
  called(function() table.concat(mk({"a", setmetatable({}, {__name = "Named"})})) end)
  called(function() return table.unpack(mk(), 1, 1e8) end)
  called(function() table.move(mk(), 1, 2, math.maxinteger) end)
  called(function() table.move(mk(), 1, 2, 3, 4) end)
  called(function() table.sort(mk({3, 1, 2}), 5) end)
  called(function() table.sort(mk({3, 1, 2, 4}), function() return true end) end)
end

print("-- not tables")
direct(table.insert, 1, 2)
direct(table.insert, nil, 2)
direct(table.remove, true)
direct(table.concat, "abc")
direct(table.move, 1, 1, 2, 3)
direct(table.move, {}, 1, 2, 3, print)
direct(table.sort)
direct(table.sort, nil)
direct(table.sort, "abc")
called(function() table.insert(1, 2) end)
called(function() table.insert("abc", 2) end)
called(function() table.remove() end)
called(function() table.concat("abc") end)
called(function() table.move("abc", 1, 2, 3) end)
called(function() table.move({}, 1, 2, 3, "abc") end)
called(function() table.move(1, "x", 0, 1, {}) end)
called(function() table.sort(5) end)
called(function() table.sort() end)
-- unpack checks no type: the length and the reads fail as lua5.4's C does.
called(function() return table.unpack(5) end)
called(function() return table.unpack(5, 1, 2) end)
called(function() return select("#", table.unpack(5, 2, 1)) end)
called(function() return table.unpack(nil) end)
called(function() return table.unpack(io.stdout) end)
called(function() return table.unpack(io.stdout, 1, 2) end)
called(function() return table.insert(io.stdout, 1) end)
called(function() return type(table.move(io.stdout, 1, 2, 1, {})) end)
called(function() return table.move({}, 1, 2, 1, io.stdout) end)

print("-- lengths")
local function L(n) return setmetatable({}, {__len = function() return n end}) end
called(function() table.insert(L("x"), 1) end)
called(function() table.insert(L(2.5), 1) end)
called(function() table.remove(L({})) end)
called(function() return table.concat(L(true)) end)
called(function() return table.unpack(L(nil)) end)
called(function() table.sort(L(1.5)) end)
called(function() table.sort(L(1 << 40)) end)
direct(table.concat, L(2))
direct(table.remove, L(2), 5)

print("-- metamethods that are not functions or tables")
called(function() table.insert(setmetatable({}, {__index = 5}), 1) end)
called(function() table.insert(setmetatable({1}, {__index = 5, __len = function() return 2 end}), 1, 0) end)
called(function() table.insert(setmetatable({}, {__newindex = 5}), 1) end)
called(function() return table.unpack(setmetatable({}, {__index = 5}), 1, 2) end)
called(function() return table.concat(setmetatable({}, {__index = true}), ",", 1, 1) end)
local loop = setmetatable({}, {})
getmetatable(loop).__index = loop
called(function() return table.unpack(loop, 1, 2) end)
local wloop = setmetatable({}, {})
getmetatable(wloop).__newindex = wloop
called(function() return table.insert(wloop, 1) end)

print("-- errors in metamethods")
local function raising(level)
  return setmetatable({}, {__index = function(_, k) error("at " .. k, level) end, __len = function() return 2 end})
end
called(function() return table.concat(raising(1)) end)
called(function() return table.concat(raising(2)) end)
called(function() return table.concat(raising(3)) end)
called(function() return table.unpack(raising(0)) end)
direct(table.concat, raising(2))
called(function() table.sort(setmetatable({}, {__len = function() return 3 end,
  __index = function(_, k) return k end, __newindex = function() error("no writes", 2) end}),
  function(a, b) return a > b end) end)
local co = coroutine.wrap(function()
  local p = setmetatable({}, {__index = function(_, k) coroutine.yield(k) return k end})
  return table.concat(p, ",", 1, 2)
end)
print(pcall(co))

-- Uncaught, from the metamethod path.
table.insert(P(), 0, "x")

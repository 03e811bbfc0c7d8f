-- The table library through metamethods (5.4's lua_geti/lua_seti/luaL_len): proxies with
-- __index/__newindex as functions and as tables, __len results, a string as the table,
-- and plain tables unchanged.

-- A proxy that logs every access and keeps its values in `store`.
local function logged(store, len)
  local log = {}
  local p = setmetatable({}, {
    __index = function(_, k) log[#log + 1] = "get " .. tostring(k); return store[k] end,
    __newindex = function(_, k, v) log[#log + 1] = "set " .. tostring(k) .. "=" .. tostring(v); store[k] = v end,
    __len = function() log[#log + 1] = "len"; if len then return len end return #store end,
  })
  return p, function(what)
    print(what, table.concat(log, " "))
    for i = #log, 1, -1 do log[i] = nil end
  end
end

local store = {"a", "b", "c"}
local p, show = logged(store)
table.insert(p, "d"); show("insert end")
table.insert(p, 2, "x"); show("insert 2")
print(table.concat(store, ","))
print(table.remove(p)); show("remove end")
print(table.remove(p, 1)); show("remove 1")
print(table.concat(store, ","))
print(table.concat(p, "-")); show("concat")
print(table.concat(p, "-", 2, 3)); show("concat 2..3")
print(table.concat(p, 0, 1, 2)); show("concat numeric sep")
print(table.unpack(p)); show("unpack")
print(table.unpack(p, 2)); show("unpack from 2")
print(select("#", table.unpack(p, 3, 2))); show("unpack empty")
local dst = {}
print(table.move(p, 1, 3, 2, dst) == dst, dst[2], dst[3], dst[4]); show("move out")
table.move(p, 1, 2, 2); show("move up, same table")
print(table.concat(store, ","))
table.move(p, 2, 3, 1); show("move down, same table")
print(table.concat(store, ","))
table.sort(p); show("sort")
print(table.concat(store, ","))
table.sort(p, function(a, b) return a > b end)
print(table.concat(store, ","))

-- A longer sort through a proxy: the same reads and writes as lua5.4's, in its order.
local nums = {}
for i = 1, 12 do nums[i] = (i * 7) % 13 end
local np, nshow = logged(nums)
table.sort(np)
nshow("sort 12")
print(table.concat(nums, " "))
table.sort(np, function(a, b) return a % 4 < b % 4 end)
print(table.concat(nums, " "))
nshow("sort 12 by a%4")
local cmp_calls = 0
print(pcall(table.sort, np, function(a, b) cmp_calls = cmp_calls + 1 return true end))
print(cmp_calls > 0)

-- __index and __newindex as tables (followed as lua_geti/lua_seti do).
local back = {10, 20, 30}
local front = setmetatable({}, {__index = back, __newindex = back, __len = function() return #back end})
print(#front, table.concat(front, ","), table.unpack(front, 1, 3))
table.insert(front, 1, 5)
print(rawlen(front), #back, table.concat(back, ","))
print(table.remove(front, 1), table.concat(back, ","))
local bare = setmetatable({}, {__index = back})
print(#bare, table.concat(bare, ","), table.unpack(bare, 2, 3))
local r = table.move(front, 1, 3, 1, {})
print(r[1], r[2], r[3])

-- __len decides the length: bigger, smaller, zero, a float with an integer value, a string.
local vals = {"p", "q", "r", "s", "t"}
local function withlen(n) return setmetatable({}, {__index = vals, __len = function() return n end}) end
print(table.concat(withlen(2), ""), table.concat(withlen(5), ""), table.concat(withlen(0), "") == "")
print(table.unpack(withlen(3)))
print(table.concat(withlen(4.0), ""), table.concat(withlen("3"), ""), table.concat(withlen(" 0x2 "), ""))
print(select("#", table.unpack(withlen(-1))))
local held = {}
local w = setmetatable({}, {__len = function() return 7 end, __newindex = held})
table.insert(w, "eighth")
print(held[8], rawget(w, 8))
print(pcall(table.insert, withlen(2.5), "z"))
print(pcall(table.concat, withlen({})))
print(pcall(table.unpack, withlen("many")))

-- A metatable without those fields changes nothing.
local plainish = setmetatable({1, 2, 3}, {__tostring = function() return "T" end})
table.insert(plainish, 4)
table.insert(plainish, 1, 0)
print(table.remove(plainish, 2), table.concat(plainish, " "), table.unpack(plainish))

-- Objects whose class is their __index: appending never reads, the rest reads holes.
local Stack = {}
Stack.__index = Stack
function Stack.push(self, v) table.insert(self, v) end
local st = setmetatable({}, Stack)
st:push("a"); st:push("b"); table.insert(st, 1, "c")
print(rawlen(st), table.concat(st, " "), table.unpack(st))
print(table.remove(st), table.remove(st, 1), rawlen(st))
local holes = setmetatable({"x"}, {__index = function(_, k) return "h" .. k end})
print(table.concat(holes, ",", 1, 3), table.unpack(holes, 0, 2))
print(table.remove(setmetatable({}, {__index = function(_, k) return "at" .. k end})))
local moved = table.move(holes, 1, 3, 1, {})
print(moved[1], moved[2], moved[3])

-- A string as the table: its metatable has __index only.
print(table.unpack("abc"))
print(table.unpack("abc", 1, 2))
print(pcall(table.concat, "abc"))
print(pcall(table.insert, "abc", 1))
print(pcall(table.remove, "abc"))
print(pcall(table.sort, "abc"))
print(select("#", table.move("abc", 1, 3, 1, {})))
print(pcall(table.move, {1}, 1, 1, 1, "abc"))

-- A proxy of a proxy: __index chains through a table with its own __index.
local inner = setmetatable({}, {__index = function(_, k) return "v" .. k end, __len = function() return 3 end})
local outer = setmetatable({}, {__index = inner, __len = function() return #inner end})
print(table.concat(outer, ","), table.unpack(outer))

-- Errors raised inside __index reach pcall unchanged.
local bad = setmetatable({}, {
  __index = function(_, k) if k == 2 then error("no element " .. k) end return "e" .. k end,
  __len = function() return 3 end,
})
print(pcall(table.concat, bad, ","))
print(pcall(table.unpack, bad))
local tabled = setmetatable({}, {__index = function() error({code = 42}) end, __len = function() return 1 end})
local ok, e = pcall(table.concat, tabled)
print(ok, type(e), e.code)
ok, e = pcall(table.remove, tabled)
print(ok, e.code)
ok, e = pcall(function() return table.concat(setmetatable({}, {__index = function() error("lvl2", 2) end}), "", 1, 1) end)
print(ok, e)
-- ... and __newindex's.
local ro = setmetatable({}, {__newindex = function(_, k) error("read-only " .. k, 0) end})
print(pcall(table.insert, ro, "x"))
print(pcall(table.move, {1, 2}, 1, 2, 1, ro))

-- __eq decides move's direction when the destination is given.
local eqmt = {__eq = function() print("__eq called") return true end}
local m1 = setmetatable({1, 2, 3, 4}, eqmt)
local m2 = setmetatable({1, 2, 3, 4}, eqmt)
table.move(m1, 1, 3, 2, m2)
print(table.concat(m2, ","))

-- Plain tables, for comparison.
local t = {}
for i = 1, 10 do table.insert(t, i) end
table.insert(t, 1, 0)
print(table.remove(t), table.remove(t, 1), #t, table.concat(t, ","))
print(table.unpack(table.move(t, 1, 3, 1, {})))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "))

-- tracery-lua's prelude: the library functions that call back into Lua. Natives never
-- re-enter the VM, so whatever calls a Lua function (a comparator, a __tostring, a gsub
-- replacement function) is written here, in Lua, and runs in the VM like user code.
-- It receives the natives it builds on as arguments.
local raw_tostring, raw_meta, print_fast, write_out, match_at, native_gsub, native_load,
  searchpath, script_dir, format_fast, ipairs_raw, fin_next, set_fallback, lib_arg,
  lib_argerror = ...
local type, error, select, rawget, concat, pcall = type, error, select, rawget, table.concat, pcall

local function tostr(v)
  local mt = raw_meta(v)
  if mt then
    local f = rawget(mt, "__tostring")
    if f then
      local s = f(v)
      if type(s) ~= "string" then
        if type(s) == "number" then return raw_tostring(s) end
        error("'__tostring' must return a string", 1)
      end
      return s
    end
  end
  return raw_tostring(v)
end

function tostring(...)
  if select('#', ...) == 0 then
    error("bad argument #1 to 'tostring' (value expected)", 1)
  end
  return (tostr((...)))
end

function print(...)
  if print_fast(...) then return end
  local n = select('#', ...)
  local parts = {}
  for i = 1, n do
    parts[i] = tostr((select(i, ...)))
  end
  write_out(concat(parts, "\t", 1, n) .. "\n")
end

local sub = string.sub
function string.gsub(s, p, repl, max_n)
  -- The native does all but Lua functions (and natives that may call Lua), for which it
  -- returns false.
  local r, n = native_gsub(s, p, repl, max_n)
  if r ~= false then return r, n end
  s = raw_tostring(s)
  p = raw_tostring(p)
  local anchor = sub(p, 1, 1) == "^"
  if anchor then p = sub(p, 2) end
  local len = #s
  max_n = max_n or len + 1
  local out, nout, n, pos, last = {}, 0, 0, 1, -1
  while n < max_n do
    local e, c1, c2, c3, c4, c5, c6, c7, c8, c9 = match_at(s, p, pos)
    if e and e ~= last then
      n = n + 1
      local v = repl(c1, c2, c3, c4, c5, c6, c7, c8, c9)
      nout = nout + 1
      if not v then
        out[nout] = sub(s, pos, e - 1)
      elseif type(v) == "string" or type(v) == "number" then
        out[nout] = v
      else
        error("invalid replacement value (a " .. type(v) .. ")", 1)
      end
      pos, last = e, e
    elseif pos <= len then
      nout = nout + 1
      out[nout] = sub(s, pos, pos)
      pos = pos + 1
    else
      break
    end
    if anchor then break end
  end
  if pos <= len then
    nout = nout + 1
    out[nout] = sub(s, pos)
  end
  return concat(out, "", 1, nout), n
end

-- The table library through metamethods. lua5.4 reads and writes with lua_geti/lua_seti
-- and takes lengths with luaL_len, so __index, __newindex and __len are honoured. The
-- natives (stdlib/table.rs) are the fast path; for an argument with a metatable they hand
-- the call on to the functions here (set_fallback below), which do what lua5.4's C does, in
-- the same order, with its messages. Names are given qualified ("table.insert"): lib_arg and
-- lib_argerror shorten them unless pcall called the function.
local tointeger, ult, maxinteger = math.tointeger, math.ult, math.maxinteger
local unpack_raw = table.unpack

-- checktab: a table, or a value whose metatable has the fields needed (__index to read,
-- __newindex to write, __len for the length).
local function checktab(t, fname, n, read, write, len)
  if type(t) ~= "table" then
    local mt = raw_meta(t)
    if not (mt and (not read or rawget(mt, "__index") ~= nil)
               and (not write or rawget(mt, "__newindex") ~= nil)
               and (not len or rawget(mt, "__len") ~= nil)) then
      lib_arg(fname, n, t, "table")
    end
  end
end

-- luaL_len.
local function auxlen(t)
  local n = tointeger(#t)
  if not n then error("object length is not an integer", 1) end
  return n
end

local function insert_meta(t, ...)
  checktab(t, "table.insert", 1, true, true, true)
  local e = auxlen(t) + 1
  local nargs = select('#', ...)
  if nargs == 1 then
    t[e] = ...
  elseif nargs == 2 then
    local pos, v = ...
    pos = lib_arg("table.insert", 2, pos, "integer")
    -- pos must be in [1, e]
    if not ult(pos - 1, e) then lib_argerror("table.insert", 2, "position out of bounds") end
    local i = e
    while i > pos do
      t[i] = t[i - 1]
      i = i - 1
    end
    t[pos] = v
  else
    error("wrong number of arguments to 'insert'", 1)
  end
end

local function remove_meta(t, pos)
  checktab(t, "table.remove", 1, true, true, true)
  local size = auxlen(t)
  if pos == nil then
    pos = size
  else
    pos = lib_arg("table.remove", 2, pos, "integer")
    -- a given position must be in [1, size + 1] (5.4.4 blames argument 1)
    if pos ~= size and ult(size, pos - 1) then
      lib_argerror("table.remove", 1, "position out of bounds")
    end
  end
  local v = t[pos]
  while pos < size do
    t[pos] = t[pos + 1]
    pos = pos + 1
  end
  t[pos] = nil
  return v
end

local function concat_field(t, i)
  local v = t[i]
  local tv = type(v)
  if tv ~= "string" and tv ~= "number" then
    error("invalid value (" .. tv .. ") at index " .. i .. " in table for 'concat'", 1)
  end
  return v
end

local function concat_meta(t, sep, i, j)
  checktab(t, "table.concat", 1, true, false, true)
  local last = auxlen(t)
  sep = sep == nil and "" or lib_arg("table.concat", 2, sep, "string")
  i = i == nil and 1 or lib_arg("table.concat", 3, i, "integer")
  if j ~= nil then last = lib_arg("table.concat", 4, j, "integer") end
  -- The values go into a plain table, which the native concatenates.
  local parts, n = {}, 0
  while i < last do
    n = n + 1
    parts[n] = concat_field(t, i)
    i = i + 1
  end
  if i == last then
    n = n + 1
    parts[n] = concat_field(t, i)
  end
  return concat(parts, sep, 1, n)
end

-- unpack checks no type: luaL_len and lua_geti raise their own errors.
local function unpack_meta(t, i, j)
  i = i == nil and 1 or lib_arg("table.unpack", 2, i, "integer")
  local e = j == nil and auxlen(t) or lib_arg("table.unpack", 3, j, "integer")
  if i > e then return end
  -- e - i + 1 values, counted without overflow; the native's limit.
  if ult(999998, e - i) then error("too many results to unpack", 1) end
  local vals, n = {}, 0
  while i < e do
    n = n + 1
    vals[n] = t[i]
    i = i + 1
  end
  vals[n + 1] = t[e]
  return unpack_raw(vals, 1, n + 1)
end

local function move_meta(a1, f, e, t, a2)
  f = lib_arg("table.move", 2, f, "integer")
  e = lib_arg("table.move", 3, e, "integer")
  t = lib_arg("table.move", 4, t, "integer")
  local tt = a2
  if tt == nil then tt = a1 end
  checktab(a1, "table.move", 1, true, false, false)
  checktab(tt, "table.move", a2 == nil and 1 or 5, false, true, false)
  if e >= f then
    if not (f > 0 or e < maxinteger + f) then
      lib_argerror("table.move", 3, "too many elements to move")
    end
    local n = e - f + 1
    if t > maxinteger - n + 1 then lib_argerror("table.move", 4, "destination wrap around") end
    -- (a1 ~= tt may call __eq, as lua_compare does.)
    if t > e or t <= f or (a2 ~= nil and a1 ~= tt) then
      for i = 0, n - 1 do tt[t + i] = a1[f + i] end
    else
      for i = n - 1, 0, -1 do tt[t + i] = a1[f + i] end
    end
  end
  return tt
end

set_fallback(table.insert, insert_meta)
set_fallback(table.remove, remove_meta)
set_fallback(table.concat, concat_meta)
set_fallback(table.unpack, unpack_meta)
set_fallback(table.move, move_meta)

-- table.sort: Lua 5.4's quicksort (median of three, pivot kept at up - 1), so that orders
-- of equal elements and "invalid order function" errors come out as lua5.4's do. Elements
-- are read and written with t[i] (lua_geti/lua_seti: __index and __newindex are honoured),
-- each read and write in lua5.4's order, so that a proxy sees the same accesses. (lua5.4
-- picks a random pivot when a large partition comes out very unbalanced; this one always
-- takes the middle.)
local function lt(a, b) return a < b end

local function invalid_order()
  error("invalid order function for sorting", 1)
end

-- Partitions t[lo..up] around P (which is at t[up - 1]); returns P's final index.
local function partition(t, lo, up, P, less)
  local i, j = lo, up - 1
  while true do
    i = i + 1
    local a = t[i]
    while less(a, P) do
      if i == up - 1 then invalid_order() end
      i = i + 1
      a = t[i]
    end
    j = j - 1
    local b = t[j]
    while less(P, b) do
      if j < i then invalid_order() end
      j = j - 1
      b = t[j]
    end
    if j < i then
      t[up - 1] = a
      t[i] = P
      return i
    end
    t[i] = b
    t[j] = a
  end
end

local function auxsort(t, lo, up, less)
  while lo < up do
    local a, b = t[lo], t[up]
    if less(b, a) then
      t[lo] = b
      t[up] = a
    end
    if up - lo == 1 then break end
    local p = (lo + up) // 2
    a, b = t[p], t[lo]
    if less(a, b) then
      t[p] = b
      t[lo] = a
    else
      b = t[up]
      if less(b, a) then
        t[p] = b
        t[up] = a
      end
    end
    if up - lo == 2 then break end
    local P = t[p]
    t[p] = t[up - 1]
    t[up - 1] = P
    p = partition(t, lo, up, P, less)
    if p - lo < up - p then
      auxsort(t, lo, p - 1, less)
      lo = p + 1
    else
      auxsort(t, p + 1, up, less)
      up = p - 1
    end
  end
end

function table.sort(...)
  local t, less = ...
  if select('#', ...) == 0 then lib_argerror("table.sort", 1, "table expected, got no value") end
  checktab(t, "table.sort", 1, true, true, true)
  local n = auxlen(t)
  if n > 1 then
    if n >= 0x7fffffff then lib_argerror("table.sort", 1, "array too big") end
    if less ~= nil and type(less) ~= "function" then lib_arg("table.sort", 2, less, "function") end
    auxsort(t, 1, n, less or lt)
  end
end

function load(...)
  local chunk, name, mode, env = ...
  if type(chunk) == "function" then
    local parts = {}
    while true do
      local p = chunk()
      if p == nil or p == "" then break end
      if type(p) ~= "string" then return nil, "reader function must return a string" end
      parts[#parts + 1] = p
    end
    chunk = concat(parts)
    name = name or "=(load)"
  elseif type(chunk) == "number" then
    chunk = raw_tostring(chunk)
  elseif type(chunk) ~= "string" then
    error("bad argument #1 to 'load' (string expected, got " .. (chunk == nil and "nil" or type(chunk)) .. ")", 1)
  end
  return native_load(chunk, name, mode, env, select('#', ...) >= 4)
end

function dofile(name)
  local f, e = loadfile(name)
  if not f then error(e, 0) end
  return f()
end

package = {
  loaded = { _G = _G, string = string, table = table, math = math, os = os, io = io,
             coroutine = coroutine, utf8 = utf8 },
  path = script_dir .. "/?.lua;" .. script_dir .. "/?/init.lua;./?.lua;./?/init.lua",
  cpath = "",
  preload = {},
}
package.loaded.package = package

function require(name)
  local v = package.loaded[name]
  if v ~= nil then return v end
  local pre = package.preload[name]
  if pre then
    v = pre(name, ":preload:")
    if v == nil then v = true end
    package.loaded[name] = v
    return v, ":preload:"
  end
  local path, tried = searchpath(name, package.path)
  if not path then
    error("module '" .. name .. "' not found:\n\tno field package.preload['" .. name .. "']" .. tried, 1)
  end
  local f, e = loadfile(path)
  if not f then
    error("error loading module '" .. name .. "' from file '" .. path .. "':\n\t" .. e, 1)
  end
  v = f(name, path)
  if v ~= nil then package.loaded[name] = v end
  if package.loaded[name] == nil then package.loaded[name] = true end
  return package.loaded[name], path
end

local next, unpack = next, table.unpack

function pairs(t)
  local mt = raw_meta(t)
  if mt then
    local f = rawget(mt, "__pairs")
    if f then
      local a, b, c = f(t)
      return a, b, c
    end
  end
  if t == nil and select('#', t) == 0 then error("bad argument #1 to 'pairs' (table expected, got no value)", 1) end
  return next, t, nil
end

local function ipairs_meta(t, i)
  i = i + 1
  local v = t[i]
  if v ~= nil then return i, v end
end

function ipairs(...)
  if select('#', ...) == 0 then error("bad argument #1 to 'ipairs' (value expected)", 1) end
  local t = ...
  if raw_meta(t) ~= nil then return ipairs_meta, t, 0 end
  return ipairs_raw(t)
end

local format_native = string.format
function string.format(fmt, ...)
  local r = format_fast(fmt, ...)
  if r then return r end
  -- Some %s argument has a __tostring: convert those here, then format.
  local n = select('#', ...)
  local args = {...}
  for i = 1, n do
    local v = args[i]
    local mt = raw_meta(v)
    if mt and rawget(mt, "__tostring") and type(v) ~= "string" then args[i] = tostr(v) end
  end
  return format_native(fmt, unpack(args, 1, n))
end

-- Finalizers: after a collection queued some, the VM (or collectgarbage, handing its call
-- on) runs this. Errors in a __gc are dropped, as lua5.4 drops them with warnings off.
local function run_finalizers(opt)
  while true do
    local f, o = fin_next()
    if f == nil then break end
    pcall(f, o)
  end
  if opt == "step" then return true end
  return 0
end
fin_next(run_finalizers)

-- tracery-lua's prelude: the library functions that call back into Lua. Natives never
-- re-enter the VM, so whatever calls a Lua function (a comparator, a __tostring, a gsub
-- replacement function) is written here, in Lua, and runs in the VM like user code.
-- It receives the natives it builds on as arguments.
local raw_tostring, raw_meta, print_fast, write_out, match_at, native_gsub, native_load,
  searchpath, script_dir, format_fast, ipairs_raw, fin_next = ...
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
  if type(repl) ~= "function" then
    return native_gsub(s, p, repl, max_n)
  end
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

-- table.sort: Lua 5.4's quicksort (median of three, pivot kept at up - 1), so that orders
-- of equal elements and "invalid order function" errors come out as lua5.4's do.
local function lt(a, b) return a < b end

local INVALID = {}

local function partition(t, lo, up, P, less)
  local i, j = lo, up - 1
  while true do
    i = i + 1
    while less(t[i], P) do
      if i == up - 1 then error(INVALID) end
      i = i + 1
    end
    j = j - 1
    while less(P, t[j]) do
      if j < i then error(INVALID) end
      j = j - 1
    end
    if j < i then
      t[up - 1], t[i] = t[i], t[up - 1]
      return i
    end
    t[i], t[j] = t[j], t[i]
  end
end

local function auxsort(t, lo, up, less)
  while lo < up do
    if less(t[up], t[lo]) then t[lo], t[up] = t[up], t[lo] end
    if up - lo == 1 then break end
    local p = (lo + up) // 2
    if less(t[p], t[lo]) then
      t[p], t[lo] = t[lo], t[p]
    elseif less(t[up], t[p]) then
      t[p], t[up] = t[up], t[p]
    end
    if up - lo == 2 then break end
    local P = t[p]
    t[p], t[up - 1] = t[up - 1], P
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

function table.sort(t, less)
  if type(t) ~= "table" then
    error("bad argument #1 to 'sort' (table expected, got " .. (t == nil and "no value" or type(t)) .. ")", 1)
  end
  local n = #t
  if n > 1 then
    if less ~= nil and type(less) ~= "function" then
      error("bad argument #2 to 'sort' (function expected, got " .. type(less) .. ")", 1)
    end
    local ok, e = pcall(auxsort, t, 1, n, less or lt)
    if not ok then
      if e == INVALID then error("invalid order function for sorting", 2) end
      error(e, 0)
    end
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

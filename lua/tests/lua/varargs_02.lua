-- varargs forwarding through many levels and in table constructors
local function lvl(n, ...)
  if n == 0 then return select("#", ...), ... end
  return lvl(n - 1, ...)
end
print(lvl(10, "x", nil, "z"))
local function wrap(...) return {n = select("#", ...), ...} end
local w = wrap(1, nil, 3)
print(w.n, w[1], w[2], w[3])
local t = {pass = function(...) return ... end}
print(#{t.pass(1, 2, 3), t.pass(4, 5, 6)})
print(#{t.pass(1, 2, 3), (t.pass(4, 5, 6))})
local function many(n) local r = {} for i = 1, n do r[i] = i end return table.unpack(r) end
print(select("#", many(200)))
local function sumall(...)
  local s = 0
  for _, v in ipairs({...}) do s = s + v end
  return s
end
print(sumall(many(250)))
local function f(...)
  local a = {...}
  local b = {..., "end"}
  return #a, #b, b[#b]
end
print(f(1, 2, 3))
local function g(...) local x, y, z = ..., "last" return x, y, z end
print(g(1, 2, 3))
print(string.format("%s-%s", "a", ...  or "noarg"))

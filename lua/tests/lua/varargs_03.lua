-- varargs with nils, table.pack/unpack roundtrip, vararg in middle position
local function show(...)
  local p = table.pack(...)
  local out = {}
  for i = 1, p.n do out[i] = tostring(p[i]) end
  return p.n .. ":" .. table.concat(out, ",")
end
print(show())
print(show(nil))
print(show(nil, 2, nil))
print(show(table.unpack({1, nil, 3}, 1, 3)))
print(show((table.unpack({1, 2, 3}))))
local function mid(...) return ..., "end" end
print(show(mid(1, 2, 3)))
local function f(...) local a, b, c = ... return show(a, b, c) end
print(f(1), f(1, 2, 3, 4))
local function sel(...) return select("#", ...), (select(2, ...)) end
print(sel(1, nil, 3))
local function rec(n, ...) if n == 0 then return show(...) end return rec(n - 1, n, ...) end
print(rec(6))
print(show(string.byte("abc", 1, -1)))
print(show(("a b c"):match("(%a) (%a) (%a)")))
local function va_len(...) return #{...} end
print(va_len(1, 2, 3), va_len())

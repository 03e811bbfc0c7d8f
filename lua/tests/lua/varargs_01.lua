-- varargs basics
local function count(...) return select("#", ...) end
print(count(), count(nil), count(nil, nil), count(1, nil, 3))
local function pass(...) return ... end
print(pass(1, 2, 3))
print((pass(1, 2, 3)))
local function first(a, ...) return a, select("#", ...) end
print(first(9, 8, 7))
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...)) end
  return s
end
print(sum(1, 2, 3, 4, 5), sum())
local function tbl(...) return {...} end
local t = tbl(1, 2, 3)
print(#t, t[1], t[3])
local function packed(...) local p = table.pack(...) return p.n, p[1], p[p.n] end
print(packed("a", nil, "c", nil))
print(select(-1, "a", "b", "c"), select(-2, "a", "b", "c"))
print(select(2, "a", "b", "c"))
print(pcall(select, 0, 1, 2))
print(pcall(select, -5, 1, 2))
local function va2(...)
  local a, b = ...
  return b, a
end
print(va2(1, 2, 3))
local function tail(...) return select("#", ...), ... end
print(tail(nil, nil))
print(table.unpack({1, 2, 3}))
print(table.unpack({1, 2, 3}, 2))
print(table.unpack({1, 2, 3}, 2, 5))

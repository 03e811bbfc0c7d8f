-- generators with coroutine.wrap
local function range(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local s = 0
for i in range(100) do s = s + i end
print(s)
local function fibgen()
  return coroutine.wrap(function()
    local a, b = 0, 1
    while true do coroutine.yield(a); a, b = b, a + b end
  end)
end
local g = fibgen()
local t = {}
for i = 1, 15 do t[i] = g() end
print(table.concat(t, " "))
local function perm(a, n)
  n = n or #a
  if n <= 1 then coroutine.yield(a) else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      perm(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
local out = {}
for p in coroutine.wrap(function() perm({1, 2, 3}) end) do out[#out+1] = table.concat(p) end
table.sort(out)
print(table.concat(out, " "))
local function filter(pred, gen)
  return coroutine.wrap(function() for v in gen do if pred(v) then coroutine.yield(v) end end end)
end
local evens = {}
for v in filter(function(x) return x % 2 == 0 end, range(20)) do evens[#evens+1] = v end
print(table.concat(evens, ","))
local w = coroutine.wrap(function() return 1 end)
print(w())
print(pcall(w))
local wrapped_err = coroutine.wrap(function() error("in wrap", 0) end)
print(pcall(wrapped_err))
local wrapped_err2 = coroutine.wrap(function() error("in wrap 2") end)
print(pcall(wrapped_err2))

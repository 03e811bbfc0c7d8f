-- recursive data structures and algorithms
local function build(d) if d == 0 then return {v = 1} end return {l = build(d - 1), r = build(d - 1), v = d} end
local function sum(t) if not t then return 0 end return t.v + sum(t.l) + sum(t.r) end
print(sum(build(10)))
local function qsort(a, lo, hi)
  if lo >= hi then return end
  local p, i = a[hi], lo - 1
  for j = lo, hi - 1 do if a[j] <= p then i = i + 1; a[i], a[j] = a[j], a[i] end end
  a[i + 1], a[hi] = a[hi], a[i + 1]
  qsort(a, lo, i); qsort(a, i + 2, hi)
end
local arr = {}
for i = 1, 500 do arr[i] = (i * 7919) % 1009 end
qsort(arr, 1, #arr)
print(arr[1], arr[250], arr[500])
local function flatten(t, out)
  out = out or {}
  for _, v in ipairs(t) do if type(v) == "table" then flatten(v, out) else out[#out+1] = v end end
  return out
end
print(table.concat(flatten({1, {2, {3, {4, {5}}}, 6}, {{{7}}}}), ","))
local function power_set(s, i, cur, out)
  i = i or 1; cur = cur or {}; out = out or {}
  if i > #s then out[#out+1] = "{" .. table.concat(cur) .. "}" return out end
  power_set(s, i + 1, cur, out)
  cur[#cur+1] = s[i]; power_set(s, i + 1, cur, out); cur[#cur] = nil
  return out
end
print(table.concat(power_set({"a", "b", "c"}), " "))
local function depth(n) if n == 0 then return 0 end local d = depth(n - 1) return d + 1 end
print(depth(50000))

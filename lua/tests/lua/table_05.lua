-- table keys of every type; float keys normalised; next() ordering not relied on
local f = function() end
local co = coroutine.create(f)
local t = {}
t[1] = "int"; t[2.5] = "float"; t["s"] = "str"; t[true] = "bool"; t[f] = "fn"; t[co] = "thread"; t[t] = "self"
print(t[1], t[2.5], t.s, t[true], t[f], t[co], t[t])
t[1.0] = "int via float"
print(t[1])
local n = 0
for k, v in pairs(t) do n = n + 1 end
print(n)
local count = {}
for k in pairs(t) do local ty = type(k); count[ty] = (count[ty] or 0) + 1 end
local parts = {}
for ty, c in pairs(count) do parts[#parts+1] = ty .. c end
table.sort(parts)
print(table.concat(parts, " "))
t[2^53] = "pow"
print(t[2^53], t[9007199254740992])
local u = {}
u[-0.0] = "negzero"
print(u[0], u[0.0])
local keys = {}
local big = {}
for i = 1, 100 do big[i * 1.0] = i end
print(#big, big[50], math.type(next(big)))

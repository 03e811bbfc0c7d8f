-- table basics: array part, hash part, length
local t = {}
for i = 1, 100 do t[i] = i end
print(#t, t[1], t[100], t[101])
t[#t + 1] = "x"
print(#t, t[101])
t[#t] = nil
print(#t)
local h = {a = 1, b = 2, ["c d"] = 3, [1.0] = "float one", [2] = "two"}
print(h.a, h["b"], h["c d"], h[1], h[2], #h)
local k = {}
k[1.5] = "x"; k[-1] = "neg"; k[0] = "zero"; k[true] = "t"
print(k[1.5], k[-1], k[0], k[true], k[false])
k[2^53] = "big"
print(k[2^53], k[1 << 53])
local n = {}
n[3.0] = 3
print(n[3], math.type(next(n)))
print(pcall(function() local z = {}; z[nil] = 1 end))
print(pcall(function() local z = {}; z[0/0] = 1 end))
print(({})[nil])
local nested = {a = {b = {c = {d = "deep"}}}}
print(nested.a.b.c.d)
local mix = {1, 2, 3, x = "x", 4, [20] = 10}
mix[20] = nil; mix[10] = 10
print(mix[4], mix.x, mix[10], #{1, 2, 3, x = "x", 4})
local s = {"a", "b", "c"}
s[2] = nil
s[2] = "B"
print(table.concat(s, ","))
local big = {}
for i = 1, 1000 do big["k" .. i] = i end
local sum = 0
for k, v in pairs(big) do sum = sum + v end
print(sum)

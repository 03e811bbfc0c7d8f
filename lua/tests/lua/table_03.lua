-- table constructors and multiple assignment semantics
local a = {[1] = "a", [2] = "b", "c"}
print(a[1], a[2])
local b = {1, 2, 3; 4, 5}
print(#b)
local i = 1
local c = {}
i, c[i] = i + 1, 20
print(i, c[1], c[2])
local x, y, z = 1, 2
print(x, y, z)
local p, q = 1, 2, 3
print(p, q)
local t = {}
t.x, t.y = 1
print(t.x, t.y)
local u = {n = {m = {}}}
u.n.m.k = "v"
print(u.n.m.k)
local m = {f = function(self, v) return self.base + v end, base = 100}
print(m:f(5), m.f(m, 6))
local seq = {}
for j = 1, 10 do seq[#seq + 1] = j end
print(#seq, seq[#seq])
local e = {}
print(#e, next(e))
local w = {"x", "y", "z"}
w[1], w[3] = w[3], w[1]
print(w[1], w[2], w[3])
local function mk() return 1, 2, 3 end
local tc = {mk(), mk(), k = mk()}
print(#tc, tc.k)
local keys = {["if"] = 1, ["end"] = 2}
print(keys["if"], keys["end"])

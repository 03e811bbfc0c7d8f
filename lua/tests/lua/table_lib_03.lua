-- table.pack / unpack / move
local p = table.pack(1, nil, 3)
print(p.n, p[1], p[2], p[3])
local p0 = table.pack()
print(p0.n, #p0)
print(table.unpack({1, 2, 3}))
print(table.unpack({1, 2, 3}, -1, 1))
print(table.unpack({}, 1, 0))
print(select("#", table.unpack({}, 1, 3)))
local a = {1, 2, 3, 4, 5}
table.move(a, 2, 4, 1)
print(table.concat(a, ","))
a = {1, 2, 3, 4, 5}
table.move(a, 1, 3, 3)
print(table.concat(a, ","))
local b = table.move({1, 2, 3}, 1, 3, 2, {})
print(b[1], b[2], b[3], b[4])
local c = table.move({}, 1, 0, 1, {9})
print(c[1])
local r = table.move({"x", "y"}, 1, 2, 5)
print(r[5], r[6], r[1], r[3])
local src = {}
for i = 1, 100 do src[i] = i end
local dst = table.move(src, 1, 100, 1, {})
local s = 0
for i = 1, #dst do s = s + dst[i] end
print(s)
print(pcall(table.unpack, {}, 1, 1e8))

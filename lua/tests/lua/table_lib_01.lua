-- table.insert / remove
local t = {}
table.insert(t, "a"); table.insert(t, "b"); table.insert(t, 1, "z")
print(table.concat(t, ","), #t)
table.insert(t, 2, "m")
print(table.concat(t, ","))
print(table.remove(t), table.concat(t, ","))
print(table.remove(t, 1), table.concat(t, ","))
print(table.remove({}), #t)
local e = {}
print(table.remove(e, 0), table.remove(e, #e))
print(pcall(table.insert, {1, 2}, 5, "x"))
print(pcall(table.insert, {1}, 1, 2, 3))
local q = {}
for i = 1, 10 do table.insert(q, i) end
while #q > 0 do io.write(table.remove(q, 1), " ") end
print()
local st = {}
for i = 1, 5 do table.insert(st, 1, i) end
print(table.concat(st, " "))
local r = {1, 2, 3}
print(table.remove(r, #r + 1), #r)
print(table.concat({}, ","), table.concat({1, 2.5, "x"}, "-"))
print(table.concat({1, 2, 3, 4}, ", ", 2, 3))
print(table.concat({"a", "b"}, ", ", 3))
print(pcall(table.concat, {1, {}, 3}))

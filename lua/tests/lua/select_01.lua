-- select
print(select("#"), select("#", nil), select("#", 1, nil, nil))
print(select(1, "a", "b", "c"))
print(select(3, "a", "b", "c"))
print(select(4, "a", "b", "c"))
print(select(-1, "a", "b", "c"))
print(select(-3, "a", "b", "c"))
print(pcall(select, -4, "a", "b", "c"))
print(pcall(select, 0))
print(pcall(select, "x"))
print(select(2.0, "a", "b"))
print(pcall(select, 1.5, "a"))
print(select("2", "a", "b"))
local function last(...) return (select(select("#", ...), ...)) end
print(last(1, 2, 3, 4))
local function sum(...) local s = 0 for i = 1, select("#", ...) do s = s + select(i, ...) end return s end
print(sum(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
local t = 0
for i = 1, 1000 do t = t + select("#", i, i, i) end
print(t)
print(select(math.maxinteger, 1))

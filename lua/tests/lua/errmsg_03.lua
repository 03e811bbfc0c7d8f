-- runtime error: arith on nil field
local t = {}
print(t.count)
t.count = t.count + 1

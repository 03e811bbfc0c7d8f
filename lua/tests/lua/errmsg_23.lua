-- runtime error: arith on table field
local t = {v = {}}
print(t.v * 2)

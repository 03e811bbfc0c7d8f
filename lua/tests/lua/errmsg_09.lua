-- runtime error: index nil field
local t = {a = {}}
print(t.a.b.c)

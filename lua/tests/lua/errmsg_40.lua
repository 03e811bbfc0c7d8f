-- runtime error: call through field chain
local a = {b = {}}
a.b.c.d()

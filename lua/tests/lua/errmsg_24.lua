-- runtime error: bitwise on float
local f = 1.5
print(f | 0)

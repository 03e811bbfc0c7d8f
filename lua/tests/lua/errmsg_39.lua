-- runtime error: nan index
local t = {}
t[0/0] = 1

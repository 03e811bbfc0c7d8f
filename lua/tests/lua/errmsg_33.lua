-- runtime error: newindex nil
local t
t.x = 1

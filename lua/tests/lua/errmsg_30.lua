-- runtime error: for bad initial
local s = {}
for i = s, 10 do end

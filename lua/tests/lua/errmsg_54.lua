-- runtime error: global function nil arg
local t = nil
for k, v in pairs(t) do end

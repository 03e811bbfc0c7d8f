-- runtime error: length of number upvalue
local n = 3
local function f() return #n end
f()

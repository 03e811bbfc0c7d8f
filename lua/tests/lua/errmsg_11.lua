-- runtime error: compare number with nil
local n = 5
local m
if n < m then print("lt") end

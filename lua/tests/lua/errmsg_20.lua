-- runtime error: call number
local n = 42
n()

-- runtime error: nil index table key
local t = {}
t[nil] = 1

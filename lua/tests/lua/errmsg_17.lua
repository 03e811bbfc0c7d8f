-- runtime error: assert false msg
local ok = false
assert(ok, "x")

-- runtime error: index number
local n = 42
print(n.field)

-- runtime error: integer conversion
local x = 2^64
print(x | 0)

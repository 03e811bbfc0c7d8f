-- runtime error: length of nil
local x
print(#x)

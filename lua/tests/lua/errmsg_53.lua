-- runtime error: string method on nil
local s
print(s:upper())

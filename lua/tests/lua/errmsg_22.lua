-- runtime error: arith on string
local s = "abc"
print(s + 1)

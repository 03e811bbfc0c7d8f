-- runtime error: arith on nil local
local a
print("before")
local b = a * 2

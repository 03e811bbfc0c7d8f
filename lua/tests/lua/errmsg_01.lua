-- runtime error: arith on nil global
print("start")
local y = 1
print(y + undefined_global)

-- runtime error: arith on nil upvalue
local u
local function f() return u - 1 end
print("calling")
f()

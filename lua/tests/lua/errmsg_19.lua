-- runtime error: stack overflow
local function r(n) return 1 + r(n + 1) end
print("recursing")
r(1)

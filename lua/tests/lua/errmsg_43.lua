-- runtime error: unary minus on table
local t = {}
print(-t)

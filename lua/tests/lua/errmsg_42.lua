-- runtime error: concat nil field
local t = {}
print("name: " .. t.name)

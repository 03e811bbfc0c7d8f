-- runtime error: concat table
local t = {}
print("concat")
local s = "x" .. t

-- quantifiers and greedy vs lazy
local s = "<b>bold</b> and <i>it</i>"
print(s:match("<(.*)>"), s:match("<(.-)>"))
print(("aaaa"):match("a*"), ("aaaa"):match("a-"), ("aaaa"):match("a+"), ("aaaa"):match("a?"))
print(("baaac"):match("ba*c"), ("bc"):match("ba*c"), ("bc"):match("ba+c"), ("bac"):match("ba?c"))
local out = {}
for tag in s:gmatch("<(%w+)>") do out[#out+1] = tag end
print(table.concat(out, ","))
print(("abc"):match("a(.?)c"), ("ac"):match("a(.?)c"))
print(("12abc34"):match("^(%d*)(.-)(%d*)$"))
print(("ip 192.168.1.10 end"):match("(%d+)%.(%d+)%.(%d+)%.(%d+)"))
print(("%d"):gsub("%%d", "N"))
print(("a\0b"):match("a%zb") ~= nil, ("a\0b"):match("a.b") ~= nil, #("a\0b"):match(".+"))
local email = "user.name+tag@example.co.uk"
print(email:match("^([%w%.%+]+)@([%w%.]+)$"))
print(("  multiple   spaces  "):gsub("%s+", " "))
print(("date: 2023-11-05"):gsub("(%d+)-(%d+)-(%d+)", "%3/%2/%1"))
print(("aaa"):gsub("a-", "x"))
print(("abc"):gsub(".-", "x"))

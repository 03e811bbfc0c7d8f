-- bench: gsub/find/format/match on strings
local N = tonumber(arg and arg[1]) or 150000
local total = 0
for i = 1, N do
  local line = string.format("%05d user%d@example.com %8.3f key=value%d", i, i % 97, i / 7, i % 13)
  local a, b = line:find("@", 1, true)
  local user = line:match("(%w+)@")
  local k, v = line:match("(%w+)=(%w+)")
  local up = line:gsub("%l", string.upper)
  local n = select(2, line:gsub("%d", ""))
  total = total + a + #user + #k + #v + #up + n
end
print(total)

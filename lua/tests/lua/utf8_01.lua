-- utf8 library
print(utf8.char(72, 228, 8364, 128512), #utf8.char(128512))
print(utf8.len("häll€"), utf8.len(""), utf8.len("\xff"), utf8.len("abc", 2))
local cps = {}
for p, c in utf8.codes("aé€") do cps[#cps+1] = p .. ":" .. c end
print(table.concat(cps, " "))
print(utf8.codepoint("héllo", 1, -1))
print(utf8.offset("aé€b", 3), utf8.offset("aé€b", -1), utf8.offset("aé€b", 0, 3))
print(utf8.charpattern)
local n = 0
for ch in ("añb€"):gmatch(utf8.charpattern) do n = n + 1 end
print(n)
print(pcall(utf8.codepoint, "\xff"))
print(utf8.char(), utf8.len("€", -3))

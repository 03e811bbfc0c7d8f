-- string building, comparison, immutability
local parts = {}
for i = 1, 100 do parts[#parts+1] = string.char(65 + i % 26) end
local s = table.concat(parts)
print(#s, s:sub(1, 30))
local t = ""
for i = 1, 50 do t = t .. (i % 10) end
print(t)
local a = "abc"
local b = a:upper()
print(a, b)
print(("x"):rep(5):upper():reverse():len())
local cmp = {"b", "a", "ab", "B", "", "aa", "a b"}
table.sort(cmp)
print(table.concat(cmp, "|"))
local n = 0
for i = 1, #s do if s:sub(i, i) == "A" then n = n + 1 end end
print("A count", n)
local caesar = {}
for i = 1, #"attack at dawn" do
  local c = ("attack at dawn"):byte(i)
  if c >= 97 and c <= 122 then c = (c - 97 + 13) % 26 + 97 end
  caesar[i] = string.char(c)
end
print(table.concat(caesar))
local esc = "tab\tnl\\n"
print(#esc, esc:byte(4))
print(("abc"):byte(-1), ("abc"):byte(-3), ("abc"):byte(-4))
print(string.rep("ab", 3, ","):len(), ("a"):rep(1000):len())
local long = ("0123456789"):rep(1000)
print(#long, long:sub(9995, 10000), long:byte(10000))

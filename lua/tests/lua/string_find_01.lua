-- string.find
local s = "the quick brown fox jumps over the lazy dog"
print(s:find("quick"), s:find("the"), s:find("the", 2), s:find("cat"))
print(s:find("o", 1, true), s:find("o", -5), s:find("o", -3))
print(s:find("q(u)(i)"), s:find("(%a+) (%a+)$"))
print(s:find(""), s:find("", 10), s:find("", #s + 1), s:find("", #s + 2))
print(("a.b.c"):find(".", 1, true), ("a.b.c"):find("%."), ("a.b.c"):find("."))
print(("a+b"):find("+", 1, true), ("a+b"):find("a+b"), ("aab"):find("a+b"))
print(("hello"):find("l+"), ("hello"):find("()ll()"))
print(("abc"):find("b", -1), ("abc"):find("b", -2), ("abc"):find("b", 100))
print(("abc"):find("^a"), ("abc"):find("^b"), ("abc"):find("c$"), ("abc"):find("b$"))
print(("a^b"):find("^", 1, true), ("a^b"):find("a^"))
print(("x"):find("x", 0), ("x"):find("x", -10))
print(pcall(string.find, "abc", "[a"))
print(pcall(string.find, "abc", "%"))
print(pcall(string.find, "abc", "(()"))
local count, pos = 0, 1
while true do
  local st, en = s:find("o", pos, true)
  if not st then break end
  count = count + 1
  pos = en + 1
end
print("o count", count)
print(("\0abc\0"):find("\0", 2), ("\0abc\0"):find("%z"))

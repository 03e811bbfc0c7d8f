-- find with init beyond bounds, plain mode special chars, captures returned
local s = "a.b*c+d?e[f]g^h$i%j"
for _, pat in ipairs({".", "*", "+", "?", "[", "]", "^", "$", "%"}) do
  io.write(pat, "=", tostring(s:find(pat, 1, true)), " ")
end
print()
print(s:find("[%.%*]"), s:find("%$"), s:find("%%j"))
print(("hello"):find("l", 10), ("hello"):find("", 10), ("hello"):find("", 6))
print(("hello"):find("(h)(e)(l)"))
print(("key: value"):find("(%w+):%s*(%w+)"))
print(("aaa"):find("a", -1), ("aaa"):find("a", -2, true))
print(("abc"):find("[b-]"), ("a-c"):find("[b-]"))
local cnt = 0
local pos = 1
local text = ("abcabc"):rep(100)
while true do
  local a, b = text:find("ca", pos, true)
  if not a then break end
  cnt = cnt + 1
  pos = b
end
print(cnt)
print(string.find("abc", "b", nil, nil))

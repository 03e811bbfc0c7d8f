-- character classes
local s = "aZ09 _!\t\n"
local classes = {"%a", "%c", "%d", "%g", "%l", "%p", "%s", "%u", "%w", "%x", "%A", "%D", "%S", "%W"}
for _, c in ipairs(classes) do
  local r = s:gsub(c, "#")
  print(c, (r:gsub("\t", "T"):gsub("\n", "N")))
end
print(("hex: DEADbeef"):match("%x+$"))
print(("a1b2c3"):gsub("[%d]", ""), ("a1b2c3"):gsub("[^%d]", ""))
print(("abc-xyz"):gsub("[a-c]", "."), ("abc-xyz"):gsub("[x-z-]", "."))
print(("]a]"):gsub("[]]", "!"), ("^a^"):gsub("[%^]", "!"), ("^a^"):gsub("[a^]", "!"))
print(("a-b"):gsub("[-]", "+"), ("a.b"):gsub("[.]", "+"))
print(("tab\there"):find("%c"), ("x%y"):find("%%"))

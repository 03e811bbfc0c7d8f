-- escapes in long and short strings, %q roundtrip of all bytes
local all = {}
for i = 0, 255 do all[#all+1] = string.char(i) end
local s = table.concat(all)
local q = string.format("%q", s)
local back = load("return " .. q)()
print(#s, back == s, #q)
print(("\x7f\x80"):byte(1, 2), "\u{0}" == "\0", #"\u{80}")
print("a\z
   b\z   c")
print("\'\"\\", '\'"', #"\\\\")
print("\104\101\108\108\111", "\x68\x65\x6c\x6c\x6f", "\u{68}\u{65}\u{6C}\u{6C}\u{6F}")
print(("\r\n"):byte(1, -1))
print(#"\z
         ")

-- len sub upper lower rep reverse byte char
local s = "Hello, World"
print(#s, s:len(), string.len(""))
print(s:sub(1, 5), s:sub(-5), s:sub(-5, -2), s:sub(8, 100), s:sub(0), s:sub(5, 2) == "")
print(s:sub(-100, 3), s:sub(3, -100) == "", s:sub(2, 2), s:sub(math.mininteger, math.maxinteger))
print(s:upper(), s:lower(), ("MiXeD123"):upper(), ("MiXeD123"):lower())
print(("ab"):rep(3), ("ab"):rep(3, "-"), ("x"):rep(0), ("x"):rep(-1) == "", ("x"):rep(1, "sep"))
print(s:reverse(), (""):reverse() == "", ("a"):reverse())
print(s:byte(), s:byte(1), s:byte(-1), s:byte(1, 3))
print(s:byte(100), select("#", s:byte(100)), select("#", s:byte(3, 2)))
print(string.char(72, 105), string.char() == "", #string.char(0, 1, 2))
print(pcall(string.char, 256))
print(pcall(string.char, -1))
local all = {}
for i = 0, 255 do all[#all+1] = string.char(i) end
local str = table.concat(all)
print(#str, str:byte(256), str:sub(66, 70))
local rt = {}
for i = 1, #s do rt[i] = s:byte(i) end
print(string.char(table.unpack(rt)) == s)
print(("abc"):sub(2.0, 3), pcall(string.sub, "abc", 1.5))
print(("%d"):rep(2), ("\0a"):len())
print(string.upper(123), string.len(1.5), string.rep(7, 3))

-- string escapes
print("a\tb", "a\\b", "q\"q", 'q\'q', "nl\nnext")
print(#"\a\b\f\n\r\t\v", ("\a\b\f\n\r\t\v"):byte(1, -1))
print("\65\066\0677", "\x41\x42\x4a\x4A", #"\0", ("\0"):byte())
print("\u{48}\u{49}", #"\u{7FF}", #"\u{FFFF}", #"\u{10FFFF}", #"\u{7FFFFFFF}")
print(("\u{E9}"):byte(1, -1))
print("skip \z
       whitespace", "line\
continued")
print(("\255\254"):byte(1, 2))
print(load([[return "\q"]]))
print(load([[return "\300"]]))
print(load([[return "\xZZ"]]))
print(load([[return "\u{110000000}"]]))
print(load([[return "unterminated]]))
print(load("return '\\u{41'"))
print("\\n is not newline", #"\\n")
print("\x00\x01" == "\0\1", "\1234" == "{4")

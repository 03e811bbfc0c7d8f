-- long strings and long comments
local a = [[simple]]
local b = [[
first newline skipped]]
local c = [==[contains ]] and ]=] inside]==]
local d = [[line1
line2
line3]]
print(a, b, c)
print(d, #d)
--[[ a long
comment ]] print("after long comment")
--[==[ another
]] still comment
]==] print("after level-2 comment")
local e = [[no \n escapes \t here]]
print(e, #e)
local f = [[

two leading newlines, one skipped]]
print(#f, f:byte(1))
local g = [=[
]=]
print(#g)
local h = [[a]] .. [[b]]
print(h)
print(#[[]], [[x]] == "x")
local nested = [===[ [[ ]] [==[ ]==] ]===]
print(nested)
local crlf = load("return [[\r\nx\r\ny]]")()
print(#crlf, crlf:byte(1), crlf:byte(2))

-- gsub with library functions as the replacement: called for each match with the captures,
-- their results kept (a string or number), ignored (nil or false), or refused.
print(("hello world"):gsub("%l", string.upper))
print(("hello world"):gsub("(o)", string.upper))
print(("a1b22c333"):gsub("%d+", string.len))
print(("a1b22c333"):gsub("%d+", tonumber))
print(("x=1, y=2"):gsub("(%w+)=(%w+)", string.rep))
print(("abc"):gsub("", string.upper))
print(("abc"):gsub("()", tostring))
print(("abc"):gsub("%w", string.byte, 2))
print(("aaa"):gsub("a", type))
print(("12 ab 7"):gsub("%S+", math.type))
print(pcall(string.gsub, "hello", "l", select))
print(pcall(string.gsub, "abc", "%w", string.rep))
print(pcall(string.gsub, "abc", "%w", error))
print(pcall(string.gsub, "abc", "%w", setmetatable))
print(pcall(string.gsub, "abc", "(", string.upper))
print(select("#", ("abc"):gsub("b", string.upper)))
-- A library function with a Lua fallback, and a Lua function, next to natives.
print(("a,b"):gsub("%a", table.unpack))
print(("abc"):gsub("%w", function(c) return c:upper() .. "!" end))
local n = 0
for i = 1, 300 do
  local s = ("line " .. i):gsub("%d", string.upper)
  n = n + #s
end
print(n)

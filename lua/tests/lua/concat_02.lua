-- concat of numbers and many operands
print(1 .. 2 .. 3, 1.0 .. 2, -1 .. -2, 2^63 .. "", 0x10 .. "")
local s = "a" .. "b" .. "c" .. "d" .. "e" .. "f" .. "g" .. "h" .. "i" .. "j"
print(s)
local x, y, z = "x", 10, 2.5
print(x .. y .. z .. x .. y .. z)
local parts = ""
for i = 1, 100 do parts = parts .. i % 10 end
print(parts)
local n = 0
for i = 1, 200 do local str = i .. ":" .. i * 2; n = n + #str end
print(n)
print(("a"):rep(3) .. ("b"):rep(2) .. 1e3 .. 1e16)
print(math.maxinteger .. "|" .. math.mininteger .. "|" .. -0.0 .. "|" .. 1/0)
local big = {}
for i = 1, 50 do big[i] = i end
print(#table.concat(big, ".."))
local t = {}
for i = 1, 10 do t[#t+1] = "[" .. i .. "]" end
print(table.concat(t))

-- gmatch with captures and positions, on big strings, and anchors in 5.4
local s = "k1=v1&k2=v2&k3="
local out = {}
for k, v in s:gmatch("(%w+)=(%w*)") do out[#out+1] = k .. "->" .. (v == "" and "<empty>" or v) end
print(table.concat(out, ", "))
local pos = {}
for a, w, b in ("one two three"):gmatch("()(%a+)()") do pos[#pos+1] = a .. "-" .. w .. "-" .. b end
print(table.concat(pos, " "))
local nums = {}
for n in ("3.14, -2, 1e3, .5, 7."):gmatch("[-]?%d*%.?%d+[eE]?%d*") do nums[#nums+1] = tonumber(n) end
print(table.concat(nums, " "))
local big = ("word "):rep(2000)
local c = 0
for _ in big:gmatch("%a+") do c = c + 1 end
print(c)
local lines = 0
for l in ("a\nb\nc"):gmatch("[^\n]+") do lines = lines + 1 end
print(lines)
local sum = 0
for d in ("1a2b3c4d5e"):gmatch("%d") do sum = sum + d end
print(sum)
local it = ("ab"):gmatch("(.)")
local r = {}
while true do local x = it(); if not x then break end r[#r+1] = x end
print(table.concat(r, "|"), it())

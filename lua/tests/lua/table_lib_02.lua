-- table.sort
local t = {5, 2, 8, 1, 9, 3, 7, 4, 6, 10}
table.sort(t)
print(table.concat(t, " "))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "))
local words = {"pear", "apple", "fig", "banana", "kiwi", "cherry"}
table.sort(words)
print(table.concat(words, " "))
table.sort(words, function(a, b) if #a ~= #b then return #a < #b end return a < b end)
print(table.concat(words, " "))
local recs = {}
for i = 1, 20 do recs[i] = {id = i, key = (i * 7) % 5} end
table.sort(recs, function(a, b) if a.key ~= b.key then return a.key < b.key end return a.id < b.id end)
local out = {}
for i, r in ipairs(recs) do out[i] = r.key .. ":" .. r.id end
print(table.concat(out, " "))
local big = {}
local s = 12345
for i = 1, 2000 do s = (s * 1103515245 + 12345) % 2147483648; big[i] = s % 1000 end
table.sort(big)
local ok = true
for i = 2, #big do if big[i-1] > big[i] then ok = false end end
print("sorted", ok, big[1], big[1000], big[2000])
local mixed = {3.5, 1, 2.25, -1, 0}
table.sort(mixed)
print(table.concat(mixed, " "))
print((pcall(table.sort, {1, "a", 2})))
local one = {1}
table.sort(one)
print(one[1])

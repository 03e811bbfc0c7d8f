-- table functions with metamethods (__index/__newindex/__len honored in 5.4)
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return log[k] end,
  __newindex = function(_, k, v) log[k] = v end,
  __len = function() return #log end,
})
table.insert(proxy, "a"); table.insert(proxy, "b"); table.insert(proxy, 1, "z")
print(#log, log[1], log[2], log[3])
print(table.concat(proxy, ","))
print(table.remove(proxy), #log)
print(table.unpack(proxy))
local m = table.move(proxy, 1, 2, 1, {})
print(m[1], m[2])
local sorted = {3, 1, 2}
table.sort(sorted, function(a, b) return a > b end)
print(table.concat(sorted, " "))
local words = {}
for w in ("delta alpha charlie bravo echo"):gmatch("%a+") do table.insert(words, w) end
table.sort(words)
print(table.concat(words, " "))
local nums = {}
for i = 1, 100 do nums[i] = (i * 37) % 101 end
table.sort(nums, function(a, b) return a % 10 < b % 10 or (a % 10 == b % 10 and a < b) end)
print(table.concat(nums, " ", 1, 15))

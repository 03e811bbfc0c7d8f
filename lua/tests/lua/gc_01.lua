-- allocation-heavy loops; collectgarbage API types only
print(type(collectgarbage("count")), collectgarbage("count") > 0)
local before = collectgarbage("count")
local keep = {}
for i = 1, 100000 do
  local t = {i, i * 2, tostring(i)}
  if i % 1000 == 0 then keep[#keep+1] = t end
end
print(#keep, keep[100][3])
collectgarbage()
collectgarbage("collect")
print(type(collectgarbage("count")))
local s = 0
for i = 1, 50000 do
  local str = "k" .. i
  s = s + #str
end
print(s)
print(collectgarbage("step") ~= nil, type(collectgarbage("isrunning")))
local list
for i = 1, 100000 do list = {next = list, v = i} end
local n, sum = 0, 0
while list do n = n + 1; sum = sum + list.v; list = list.next end
print(n, sum)
local closures = {}
for i = 1, 20000 do closures[i % 100 + 1] = function() return i end end
print(closures[1](), closures[100]())
print(collectgarbage("count") < before + 100000)

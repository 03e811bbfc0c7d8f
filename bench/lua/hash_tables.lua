-- bench: hash tables with string keys
local N = tonumber(arg and arg[1]) or 600000
local keys = {}
for i = 1, N do keys[i] = "key" .. i end
local t = {}
for r = 1, 5 do
  for i = 1, N do local k = keys[i]; t[k] = (t[k] or 0) + i end
end
local s = 0
for i = 1, N, 3 do s = s + t[keys[i]] end
local c = 0
for k, v in pairs(t) do c = c + 1 end
for i = 1, N, 2 do t[keys[i]] = nil end
local c2 = 0
for k in pairs(t) do c2 = c2 + 1 end
print(s, c, c2)

-- table growth, rehash, removal while iterating with next
local t = {}
for i = 1, 5000 do t[i] = i * 2 end
for i = 1, 5000, 2 do t[i] = nil end
local c, s = 0, 0
for k, v in pairs(t) do c = c + 1; s = s + v end
print(c, s)
local h = {}
for i = 1, 2000 do h[i * 7919 % 10007] = i end
local cnt = 0
for k in pairs(h) do cnt = cnt + 1 end
print(cnt)
for k in pairs(h) do h[k] = nil end
print(next(h) == nil)
local r = {}
for i = 10, 1, -1 do r[i] = i end
print(#r)
local neg = {}
for i = -5, 5 do neg[i] = i end
local ks = {}
for k in pairs(neg) do ks[#ks+1] = k end
table.sort(ks)
print(table.concat(ks, " "))
local tt = {10, 20, 30, nil}
print(#tt)
local str = {}
for i = 1, 26 do str[string.char(96 + i)] = i end
local keys = {}
for k, v in pairs(str) do keys[#keys+1] = k .. v end
table.sort(keys)
print(table.concat(keys, ""))
local self = {}
self[self] = "me"
print(self[self])
local fk = {}
local f = function() end
fk[f] = 1
print(fk[f])

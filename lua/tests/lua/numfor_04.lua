-- loop limits evaluated once; step signs; limits that clip
local calls = 0
local function lim() calls = calls + 1; return 5 end
for i = 1, lim() do end
print("limit calls", calls)
local n = 10
local c = 0
for i = 1, n do n = 3; c = c + 1 end
print("limit fixed", c)
c = 0
for i = math.maxinteger, math.maxinteger - 3, -1 do c = c + 1 end
print(c)
c = 0
for i = 0, 3.9999 do c = c + 1 end
print(c)
c = 0
for i = 0, -0.5, -1 do c = c + 1 end
print(c)
c = 0
for i = math.mininteger, math.mininteger + 2 do c = c + 1 end
print(c)
c = 0
for i = 1, 1e20 , 1e19 do c = c + 1 end
print("float loop", c)
c = 0
for i = 1, 2^63 do c = c + 1; if c > 3 then break end end
print("2^63 limit", c)
c = 0
for i = -1, -2^63 - 1e6, -2^62 do c = c + 1 end
print("neg float lim", c)
c = 0
for i = 3, 1, math.mininteger do c = c + 1 end
print("minint step", c)

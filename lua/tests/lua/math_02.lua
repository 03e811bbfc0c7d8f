-- math in loops
local s = 0
for i = 1, 1000 do s = s + math.floor(i / 3) + math.ceil(i / 7) end
print(s)
local m = -math.huge
for i = 1, 100 do m = math.max(m, math.sin(i)) end
print(string.format("%.8f", m))
local acc = 0.0
for i = 1, 1000 do acc = acc + math.sqrt(i) end
print(string.format("%.6f", acc))
local ints = 0
for i = 1, 100 do if math.tointeger(i / 4) then ints = ints + 1 end end
print(ints)
local h = 0
for i = 1, 500 do h = h + math.abs(i - 250) end
print(h)
local fm = 0
for i = -20, 20 do fm = fm + math.fmod(i, 7) end
print(fm)
local mn, mx = math.huge, -math.huge
for i = 1, 50 do local v = (i * 37) % 101 - 50; mn = math.min(mn, v); mx = math.max(mx, v) end
print(mn, mx, math.type(mn))
local ip, fp = 0, 0
for i = 1, 10 do local a, b = math.modf(i * 1.25); ip = ip + a; fp = fp + b end
print(ip, fp)

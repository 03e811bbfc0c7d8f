-- nested loops, break, large iteration counts
local s = 0
for i = 1, 100 do
  for j = 1, 100 do
    if j > i then break end
    s = s + j
  end
end
print("tri", s)
local count = 0
for i = 1, 200000 do count = count + (i & 1) end
print("odd", count)
local t = {}
for i = 1, 10 do t[i] = i * i end
local u = 0
for i = #t, 1, -2 do u = u + t[i] end
print("even squares", u)
local m = 0
for i = 1, 1000 do
  if i % 3 == 0 then goto continue end
  m = m + i
  ::continue::
end
print("skip3", m)
local x = 0
for i = 1, 10 do
  for j = i, 10 do
    for k = j, 10 do x = x + 1 end
  end
end
print("combos", x)
local last
for i = 1, 5 do last = i end
print("last", last)
local f = 0.0
for i = 1, 100000 do f = f + i * 0.5 end
print("fsum", f)

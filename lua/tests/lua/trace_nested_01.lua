-- nested loops, inner loop counts varying, loops in called functions
local function inner(n) local s = 0 for j = 1, n do s = s + j end return s end
local tot = 0
for i = 1, 300 do tot = tot + inner(i % 17) end
print(tot)
local grid = {}
for y = 1, 30 do local row = {} for x = 1, 30 do row[x] = (x * y) % 7 end grid[y] = row end
local cnt = 0
for y = 2, 29 do for x = 2, 29 do
  local c = grid[y][x]
  if c > grid[y-1][x] and c > grid[y+1][x] and c > grid[y][x-1] and c > grid[y][x+1] then cnt = cnt + 1 end
end end
print(cnt)
local tri = 0
for i = 1, 60 do for j = 1, i do for k = 1, j do tri = tri + 1 end end end
print(tri)
local w = 0
local i = 0
while i < 100 do
  i = i + 1
  local j = i
  repeat j = j - 7; w = w + 1 until j <= 0
end
print(w)
local s = 0
for a = 1, 10 do
  for b = a, 10 do
    local c = 0
    while c < b do c = c + a end
    s = s + c
  end
end
print(s)

-- A first Lua program on Tracery: a hot loop, traced and compiled after 56 iterations.
local s, f = 0, 0.0
for i = 1, 1000000 do
  s = s + i % 7
  f = f + 0.5
end
print(s, f)

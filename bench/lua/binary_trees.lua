-- bench: binary trees (allocation-heavy)
local N = tonumber(arg and arg[1]) or 15
local function bottomup(d)
  if d == 0 then return {} end
  d = d - 1
  return {bottomup(d), bottomup(d)}
end
local function check(t)
  if t[1] then return 1 + check(t[1]) + check(t[2]) end
  return 1
end
local mindepth = 4
local maxdepth = math.max(mindepth + 2, N)
local out = {}
out[#out+1] = "stretch " .. check(bottomup(maxdepth + 1))
local long = bottomup(maxdepth)
for d = mindepth, maxdepth, 2 do
  local iters = 2 ^ (maxdepth - d + mindepth)
  local c = 0
  for i = 1, iters do c = c + check(bottomup(d)) end
  out[#out+1] = string.format("%d %d %d", iters, d, c)
end
out[#out+1] = "long " .. check(long)
print(table.concat(out, "\n"))

-- bench: dense matrix multiply (nested arrays)
local N = tonumber(arg and arg[1]) or 320
local function mat(n, seed)
  local m = {}
  for i = 1, n do local r = {} for j = 1, n do seed = (seed * 16807) % 2147483647; r[j] = seed / 2147483647 end m[i] = r end
  return m
end
local function mul(a, b, n)
  local c = {}
  for i = 1, n do
    local ci, ai = {}, a[i]
    for j = 1, n do
      local s = 0.0
      for k = 1, n do s = s + ai[k] * b[k][j] end
      ci[j] = s
    end
    c[i] = ci
  end
  return c
end
local a, b = mat(N, 1), mat(N, 2)
local c = mul(a, b, N)
local tr = 0
for i = 1, N do tr = tr + c[i][i] end
print(string.format("%.6f", tr))

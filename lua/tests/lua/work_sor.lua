-- workload: successive over-relaxation on a grid (SciMark-like)
local function random_matrix(m, n, seed)
  local a = {}
  for i = 1, m do
    local row = {}
    for j = 1, n do seed = (seed * 16807) % 2147483647; row[j] = seed / 2147483647 end
    a[i] = row
  end
  return a
end
local function sor(n, omega, G, iters)
  local o4, o1 = omega * 0.25, 1.0 - omega
  for p = 1, iters do
    for i = 2, n - 1 do
      local Gi, Gim1, Gip1 = G[i], G[i - 1], G[i + 1]
      for j = 2, n - 1 do
        Gi[j] = o4 * (Gim1[j] + Gip1[j] + Gi[j - 1] + Gi[j + 1]) + o1 * Gi[j]
      end
    end
  end
end
local n = 40
local G = random_matrix(n, n, 42)
sor(n, 1.25, G, 50)
local sum = 0
for i = 1, n do for j = 1, n do sum = sum + G[i][j] end end
print(string.format("%.6f", sum))
print(string.format("%.6f %.6f %.6f", G[2][2], G[n // 2][n // 2], G[n - 1][n - 1]))

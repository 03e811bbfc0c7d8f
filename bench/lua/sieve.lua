-- bench: sieve of Eratosthenes, repeated (table-heavy)
local N = tonumber(arg and arg[1]) or 2500000
local R = 5
local count
for r = 1, R do
  local flags = {}
  for i = 2, N do flags[i] = true end
  count = 0
  for i = 2, N do
    if flags[i] then
      count = count + 1
      for k = i * i, N, i do flags[k] = false end
    end
  end
end
print(count)

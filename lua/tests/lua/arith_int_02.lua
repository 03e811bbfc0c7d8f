-- integer arithmetic in loops and accumulators
local function collatz(n)
  local steps = 0
  while n ~= 1 do
    if n % 2 == 0 then n = n // 2 else n = 3 * n + 1 end
    steps = steps + 1
  end
  return steps
end
local best, bestn = 0, 0
for i = 1, 3000 do
  local s = collatz(i)
  if s > best then best, bestn = s, i end
end
print("collatz", bestn, best)
local function gcd(a, b) while b ~= 0 do a, b = b, a % b end return a end
print("gcd", gcd(1071, 462), gcd(0, 5), gcd(-12, 18), gcd(12, -18))
local h = 0
for i = 1, 10000 do h = (h * 31 + i) % 1000000007 end
print("hash", h)
local x = 1
for i = 1, 100 do x = x * 3 end
print("overflowing pow3", x)
local fib = {0, 1}
for i = 3, 93 do fib[i] = fib[i-1] + fib[i-2] end
print("fib92", fib[93])
print("fib93 wraps", fib[93] + fib[92])
local m = 0
for i = -50, 50 do m = m + (i % 7) + (i // 7) end
print("modsum", m)

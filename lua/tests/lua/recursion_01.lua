-- non-tail recursion
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(20))
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
print(fact(20), fact(25.0))
local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print(ack(2, 3), ack(3, 3))
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(10000))
local function hanoi(n, from, to, via, moves)
  if n == 0 then return moves end
  moves = hanoi(n - 1, from, via, to, moves)
  moves = moves + 1
  return hanoi(n - 1, via, to, from, moves)
end
print(hanoi(15, 1, 3, 2, 0))
local function perms(a, n, out)
  n = n or #a
  if n <= 1 then out[#out+1] = table.concat(a) return end
  for i = 1, n do
    a[n], a[i] = a[i], a[n]
    perms(a, n - 1, out)
    a[n], a[i] = a[i], a[n]
  end
end
local out = {}
perms({"a", "b", "c"}, nil, out)
table.sort(out)
print(table.concat(out, " "))
local function tak(x, y, z) if y >= x then return z end return tak(tak(x-1, y, z), tak(y-1, z, x), tak(z-1, x, y)) end
print(tak(18, 12, 6))

-- tail calls returning multiple values, through varargs, and to C functions
local function deep(n, ...) if n == 0 then return ... end return deep(n - 1, ...) end
print(deep(100000, "a", "b", "c"))
local function to_c(n) if n == 0 then return select("#", 1, 2, 3) end return to_c(n - 1) end
print(to_c(50000))
local function mutual_a(n, acc) if n == 0 then return acc end return (n % 2 == 0) and mutual_a(n - 1, acc + 1) or mutual_b(n - 1, acc) end
function mutual_b(n, acc) if n == 0 then return acc end return mutual_a(n - 1, acc + 2) end
print(pcall(mutual_a, 10, 0))
local function stepper(n, acc)
  if n == 0 then return acc end
  if n % 3 == 0 then return stepper(n - 1, acc * 2 % 1000003) end
  return stepper(n - 1, acc + n)
end
print(stepper(300000, 1))
local obj = {}
function obj.loop(self, n) if n == 0 then return "obj done" end return self.loop(self, n - 1) end
print(obj:loop(200000))
local function tailpcall(n) if n == 0 then return pcall(error, "end", 0) end return tailpcall(n - 1) end
print(tailpcall(1000))

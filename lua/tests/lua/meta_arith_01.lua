-- arithmetic metamethods
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  if type(b) == "number" then return vec(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
V.__div = function(a, b) return vec(a.x / b, a.y / b) end
V.__mod = function(a, b) return vec(a.x % b, a.y % b) end
V.__pow = function(a, b) return vec(a.x ^ b, a.y ^ b) end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__idiv = function(a, b) return vec(a.x // b, a.y // b) end
V.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
local a, b = vec(1, 2), vec(3, 4)
print(tostring(a + b), tostring(a - b), a * b, tostring(a * 2), tostring(3 * a))
print(tostring(b / 2), tostring(b % 3), tostring(a ^ 2), tostring(-a), tostring(b // 2))
local acc = vec(0, 0)
for i = 1, 100 do acc = acc + vec(i, -i) end
print(tostring(acc))
local B = {}
B.__band = function(a, b) return "band" end
B.__bor = function() return "bor" end
B.__bxor = function() return "bxor" end
B.__shl = function() return "shl" end
B.__shr = function() return "shr" end
B.__bnot = function() return "bnot" end
local o = setmetatable({}, B)
print(o & 1, 1 | o, o ~ o, o << 1, 1 >> o, ~o)
local right = setmetatable({}, {__add = function(a, b) return type(a) .. "+" .. type(b) end})
print(1 + right, right + 1, "s" + right)
print(pcall(function() return {} + 1 end))
print(pcall(function() return a + {} end))

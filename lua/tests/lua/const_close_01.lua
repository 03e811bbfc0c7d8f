-- <const> locals
local x <const> = 10
local s <const> = "str"
local f <const> = 2.5
print(x + 1, s .. "!", f * 2)
local t <const> = {1, 2}
t[1] = 100
print(t[1])
print(load("local c <const> = 1; c = 2") == nil)
local _, e = load("local c <const> = 1; c = 2")
print(e)
local _, e2 = load("local c <foo> = 1")
print(e2)
local _, e3 = load("local a <close>, b <close> = 1, 2")
print(e3)
local function g()
  local k <const> = 5
  return function() return k * 2 end
end
print(g()())
local a <const>, b = 1, 2
b = 3
print(a, b)
local big <const> = math.maxinteger
print(big, big + 1 == math.mininteger)
local ok <const> = true
if ok then print("const bool") end
local n <const> = nil
print(n)

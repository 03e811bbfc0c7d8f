-- nested pcall, xpcall with handlers
print(pcall(function()
  local ok, e = pcall(error, "inner", 0)
  error("outer:" .. e, 0)
end))
print(xpcall(function() error("E", 0) end, function(m) return "handled " .. m end))
print(xpcall(function() return "fine", 2 end, function(m) return "nope" end))
print(xpcall(function(a, b) return a + b end, print, 3, 4))
print(xpcall(function() error({1, 2, 3}) end, function(t) return #t end))
local depth = 0
local function nest(n)
  if n == 0 then error("bottom", 0) end
  local ok, e = pcall(nest, n - 1)
  depth = depth + 1
  error(e .. "<" .. n, 0)
end
print(pcall(nest, 5))
print(depth)
print(xpcall(function() local t = nil; return t.x end, function(m) return "H:" .. m end))
local hcount = 0
print(xpcall(function() error("a", 0) end, function(m) hcount = hcount + 1; return m .. "!" end))
print(hcount)
print(pcall(xpcall))
print(select("#", xpcall(function() return nil, nil end, print)))
local co_ok, co_e = pcall(function()
  return pcall(function() return pcall(function() error("deep", 0) end) end)
end)
print(co_ok, co_e)
print(pcall(function() return pcall(function() return pcall(function() error("deep", 0) end) end) end))

-- pcall basics
print(pcall(function() return 1, 2, 3 end))
print(pcall(function() error("msg") end))
print(pcall(function() error("msg", 0) end))
print(pcall(function() error() end))
print(pcall(function() error(nil) end))
print(pcall(function() error(42) end))
local ok, e = pcall(function() error({code = 7}) end)
print(ok, type(e), e.code)
print(pcall(error))
print(pcall(pcall))
print(pcall(pcall, error, "x"))
print(select("#", pcall(function() end)))
local function lvl2() error("from lvl2", 2) end
local function caller() lvl2() end
print(pcall(caller))
print(pcall(function() local x = nil; return x.y end))
print(pcall(function() return 1 + nil end))
local n = 0
for i = 1, 1000 do
  local ok = pcall(function() if i % 2 == 0 then error("even") end end)
  if not ok then n = n + 1 end
end
print(n)
print(pcall(string.rep))
print(pcall(string.sub))
print(pcall(math.floor, "x"))
print(pcall(setmetatable, 1, {}))
print(pcall(ipairs))

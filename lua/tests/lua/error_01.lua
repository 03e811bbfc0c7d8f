-- error objects, levels, rethrow
local function thrower(kind)
  if kind == "str" then error("string error") end
  if kind == "tbl" then error({msg = "table error"}) end
  if kind == "num" then error(3.5) end
  if kind == "nolvl" then error("no position", 0) end
  if kind == "bool" then error(false) end
end
for _, k in ipairs({"str", "tbl", "num", "nolvl", "bool"}) do
  local ok, e = pcall(thrower, k)
  print(k, ok, type(e), type(e) == "table" and e.msg or e)
end
local function validate(x) if type(x) ~= "number" then error("expected number, got " .. type(x), 2) end return x end
local function use() return validate("s") end
print(pcall(use))
local function lvl3() error("L3", 3) end
local function b() lvl3() end
local function a() b() end
print(pcall(a))
local ok, e = pcall(function()
  local ok2, e2 = pcall(error, {tag = "inner"})
  error(e2)
end)
print(ok, e.tag)
local E = {}
E.__index = E
E.__tostring = function(s) return "E<" .. s.m .. ">" end
local function raise(m) error(setmetatable({m = m}, E)) end
local ok3, e3 = pcall(raise, "custom")
print(ok3, tostring(e3), getmetatable(e3) == E)
print(pcall(assert, false))
print(pcall(assert, nil, "assert msg"))
print(pcall(assert, 1, 2, 3))
local use2 = function() local r = validate("s"); return r end
print(pcall(use2))
print(select(2, pcall(assert, false, {7}))[1])
print(pcall(assert))
print(pcall(error, "lvl1", 1))
print(pcall(error, "lvl2", 2))

-- __close and to-be-closed variables
local log = {}
local function res(name)
  return setmetatable({name = name}, {__close = function(self, err) log[#log+1] = "close " .. self.name .. " " .. tostring(err) end})
end
do
  local a <close> = res("a")
  local b <close> = res("b")
  log[#log+1] = "body"
end
print(table.concat(log, "; "))
log = {}
local function f()
  local x <close> = res("x")
  return "ret"
end
print(f(), table.concat(log, "; "))
log = {}
print(pcall(function()
  local y <close> = res("y")
  error("boom", 0)
end))
print(table.concat(log, "; "))
log = {}
for i = 1, 3 do
  local z <close> = res("z" .. i)
  if i == 2 then break end
end
print(table.concat(log, "; "))
log = {}
do local n <close> = nil; local f2 <close> = false end
print("nil/false ok")
print(pcall(function() local bad <close> = {} end))
print(pcall(function() local bad <close> = 42 end))
log = {}
local function gen()
  local i = 0
  return function() i = i + 1; if i <= 2 then return i end end, nil, nil, res("iter")
end
for v in gen() do log[#log+1] = "v" .. v end
print(table.concat(log, "; "))
log = {}
for v in gen() do if v == 1 then break end end
print(table.concat(log, "; "))

-- <close> ordering with errors in closers, nested blocks, and returns with values
local log = {}
local function mk(name, fail)
  return setmetatable({}, {__close = function(_, e)
    log[#log+1] = name .. "(" .. tostring(e) .. ")"
    if fail then error(name .. " failed", 0) end
  end})
end
local function f()
  local a <close> = mk("a")
  do
    local b <close> = mk("b")
    local c <close> = mk("c")
  end
  local d <close> = mk("d")
  return 1, 2, 3
end
print(f())
print(table.concat(log, " "))
log = {}
print(pcall(function()
  local x <close> = mk("x")
  local y <close> = mk("y", true)
  return "ok"
end))
print(table.concat(log, " "))
log = {}
print(pcall(function()
  local p <close> = mk("p", true)
  local q <close> = mk("q")
  error("body", 0)
end))
print(table.concat(log, " "))
log = {}
local function loop()
  for i = 1, 3 do
    local r <close> = mk("r" .. i)
    if i == 2 then return "early" end
  end
end
print(loop(), table.concat(log, " "))
log = {}
local co = coroutine.wrap(function()
  local z <close> = mk("z")
  coroutine.yield("yielded")
  return "finished"
end)
print(co(), table.concat(log, " "))
print(co(), table.concat(log, " "))

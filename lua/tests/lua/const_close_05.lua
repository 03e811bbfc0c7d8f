-- to-be-closed variables with xpcall handlers, errors in handlers and closers, variable
-- return counts, and closers inside loops that a trace runs
local function closer(tag, fail)
  return setmetatable({}, {__close = function(_, e)
    print("close", tag, type(e) == "table" and "a table" or e)
    if fail then error(tag .. " fails", 0) end
  end})
end
-- the handler runs first; closers get its result
print(xpcall(function()
  local a <close> = closer("a")
  error("x", 0)
end, function(m) return "H(" .. tostring(m) .. ")" end))
-- an error in a closer goes through the handler too
print(xpcall(function()
  local a <close> = closer("a")
  local b <close> = closer("b", true)
  error("x", 0)
end, function(m) return "H(" .. tostring(m) .. ")" end))
-- an error in the handler itself
print(xpcall(function() error("x") end, function(m) error("y") end))
print(pcall(xpcall, function() error("x") end, function(m) error("y") end))
-- a return of a variable count keeps every value while closing
local function many(...)
  local c <close> = closer("many")
  return ...
end
print(many(1, 2, 3, nil, 5))
print(select("#", many()))
local function tail()
  local c <close> = closer("tail")
  return many("t1", "t2")
end
print(tail())
-- closers in a hot loop, some iterations erroring
local count, errs = 0, 0
for i = 1, 200 do
  local ok, e = pcall(function()
    local c <close> = setmetatable({}, {__close = function() count = count + 1 end})
    if i % 7 == 0 then error(i, 0) end
    return i
  end)
  if not ok then errs = errs + e end
end
print(count, errs)
-- nested pcalls: the inner one catches, the outer closers see nil
print(pcall(function()
  local o <close> = closer("outer")
  print(pcall(function()
    local i <close> = closer("inner")
    error({code = 7})
  end) == false)
  return "done"
end))
-- a closer that errors on a normal block exit
print(pcall(function()
  do
    local d <close> = closer("d", true)
  end
  return "unreached"
end))
-- error values that are not strings
local t = {}
print(select(2, pcall(function() local z <close> = closer("z"); error(t) end)) == t)

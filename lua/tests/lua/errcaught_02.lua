-- error values: non-string errors, positions for different levels, rethrow
local function lvl(n) error("at level " .. n, n) end
local function a(n) lvl(n) end
for n = 0, 3 do print(pcall(a, n)) end
local ok, e = pcall(error, setmetatable({}, {__tostring = function() return "TS" end}))
print(ok, tostring(e))
print(pcall(function() local ok, e = pcall(error, "first"); error(e, 0) end))
print(pcall(function() local ok, e = pcall(error, "first"); error(e) end))
print(pcall(function() local ok, e = pcall(error, {1}); error(e) end) == false)
print(pcall(error, 1.5), pcall(error, true))
local msgs = {}
for i = 1, 5 do
  local ok, e = pcall(function() local t = nil; if i > 2 then return t[i] end return i end)
  msgs[#msgs+1] = tostring(ok) .. ":" .. tostring(e)
end
print(table.concat(msgs, " | "))
local co = coroutine.create(function() local x = nil; return x.y end)
print(coroutine.resume(co))
print(xpcall(function() return nil + 1 end, function(m) return "handled: " .. m end))
print(pcall(string.format, "%d", "x"))
print(pcall(string.rep, "x", -1, 5))
print(pcall(("x").rep, "x", {}))

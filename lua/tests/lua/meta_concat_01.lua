-- __concat
local S = {}
S.__concat = function(a, b)
  local av = type(a) == "table" and a.s or tostring(a)
  local bv = type(b) == "table" and b.s or tostring(b)
  return setmetatable({s = av .. bv}, S)
end
local x = setmetatable({s = "X"}, S)
print((x .. "y").s, ("y" .. x).s, (x .. x).s, (1 .. x).s)
print((x .. "a" .. "b").s)
print(("a" .. "b" .. x).s)
local order = {}
local T = {__concat = function(a, b) order[#order+1] = (type(a) == "table" and "T" or a) .. "|" .. (type(b) == "table" and "T" or b); return "r" end}
local t = setmetatable({}, T)
local r = "1" .. "2" .. t .. "3" .. "4"
print(r, table.concat(order, " ; "))
print(pcall(function() return {} .. "x" end))
local cnt = setmetatable({}, {__concat = function(a, b) return 7 end})
print(cnt .. 1, "z" .. cnt)
local acc = setmetatable({s = ""}, S)
for i = 1, 10 do acc = acc .. i end
print(acc.s)

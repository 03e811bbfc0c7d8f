-- upvalues closed at block exit / after loop iterations
local fs = {}
for i = 1, 3 do
  local v = i
  fs[#fs+1] = function() v = v * 2; return v end
  fs[#fs+1] = function() return v end
end
print(fs[1](), fs[2](), fs[3](), fs[4](), fs[1](), fs[2]())
local getters = {}
do
  local n = 100
  getters.a = function() return n end
  n = 200
end
print(getters.a())
local function make(n)
  local res = {}
  for i = 1, n do
    local j = i
    if i % 2 == 0 then
      res[i] = function() return j end
    else
      local k = j * 10
      res[i] = function() return k end
    end
  end
  return res
end
local m = make(6)
for i = 1, 6 do io.write(m[i](), " ") end
print()
local cnt = 0
local inc = function() cnt = cnt + 1 end
for i = 1, 1000 do inc() end
print(cnt)
local function rec(n, acc)
  if n == 0 then return acc end
  local f = function() return n end
  return rec(n - 1, acc + f())
end
print(rec(100, 0))

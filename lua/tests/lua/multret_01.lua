-- multiple returns and adjustment
local function three() return 1, 2, 3 end
local function none() end
local a, b, c, d = three()
print(a, b, c, d)
local x, y = three(), 10
print(x, y)
print(three(), three())
print((three()))
local t = {three(), three()}
print(#t)
t = {three(), (three())}
print(#t)
t = {none(), none()}
print(#t, select("#", none()))
print(select("#", three(), none()))
local function pick(n, ...) return (select(n, ...)) end
print(pick(2, three()))
local function swap(p, q) return q, p end
print(swap(swap(1, 2)))
local s = string.format("%d %d %d", three())
print(s)
local m = math.max(three())
print(m)
local function rets(n)
  if n == 0 then return end
  return n, rets(n - 1)
end
print(rets(5))
print(select("#", rets(30)))
local u, v = (three())
print(u, v)
local tt = {}
tt.a, tt.b, tt.c = three()
print(tt.a, tt.b, tt.c)

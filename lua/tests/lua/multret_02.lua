-- multiple results through pcall, coroutines, metamethods, table constructors
local function mr() return 1, 2, 3 end
print(pcall(mr))
print(select("#", pcall(mr)))
local co = coroutine.wrap(function(...) local a, b = coroutine.yield(...) return a, b, "done" end)
print(co(7, 8, 9))
print(co("x", "y"))
local t = {mr(), mr(), mr()}
print(#t, t[1], t[2], t[3], t[4], t[5])
local function adjust() return mr(), "mid", mr() end
print(adjust())
print(math.max(mr()), string.char(65, mr()):byte(1, -1))
local s = 0
for i = 1, 100 do local a, b, c = mr(); s = s + a + b + c end
print(s)
local function none() end
local a, b = none()
print(a, b, select("#", none()), (none()))
local function tenret() return 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 end
local x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 = tenret()
print(x1, x5, x10, x11)
print(select(8, tenret()))

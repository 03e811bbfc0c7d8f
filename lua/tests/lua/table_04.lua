-- arrays as stacks/queues; # after removals from the end; 2D arrays
local st = {}
for i = 1, 100 do st[#st + 1] = i end
for i = 1, 40 do st[#st] = nil end
print(#st, st[#st])
local q, head, tail = {}, 1, 0
for i = 1, 50 do tail = tail + 1; q[tail] = i end
local out = 0
while head <= tail do out = out + q[head]; q[head] = nil; head = head + 1 end
print(out, next(q))
local m = {}
for i = 1, 10 do m[i] = {} for j = 1, 10 do m[i][j] = i * j end end
local diag = 0
for i = 1, 10 do diag = diag + m[i][i] end
print(diag, m[3][7], #m, #m[5])
local sparse = {}
sparse[1000000] = "far"
print(sparse[1000000], #sparse == 0 or #sparse == 1000000)
local copy = {}
for i, v in ipairs({"a", "b", "c"}) do copy[i] = v:upper() end
print(table.concat(copy))
local inv = {}
for k, v in pairs({x = 1, y = 2, z = 3}) do inv[v] = k end
print(inv[1], inv[2], inv[3])
local t = {n = 0}
function t:push(v) self.n = self.n + 1; self[self.n] = v end
for i = 1, 5 do t:push(i * i) end
print(t.n, t[5], #t)
local b = {true, false, true}
print(#b, b[2])

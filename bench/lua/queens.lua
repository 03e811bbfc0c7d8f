-- bench: N-queens solution count (recursion, small arrays)
local N = tonumber(arg and arg[1]) or 12
local cols, d1, d2 = {}, {}, {}
local count = 0
local function place(r, n)
  if r > n then count = count + 1 return end
  for c = 1, n do
    if not cols[c] and not d1[r + c] and not d2[r - c + n] then
      cols[c], d1[r + c], d2[r - c + n] = true, true, true
      place(r + 1, n)
      cols[c], d1[r + c], d2[r - c + n] = false, false, false
    end
  end
end
for rep = 1, 3 do count = 0; place(1, N) end
print(count)

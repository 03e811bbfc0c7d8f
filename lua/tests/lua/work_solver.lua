-- workload: N-queens (8) and a sudoku backtracking solver
local function queens(n)
  local cols, d1, d2, sol, count, first = {}, {}, {}, {}, 0, nil
  local function place(r)
    if r > n then
      count = count + 1
      if not first then first = table.concat(sol, " ") end
      return
    end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        sol[r] = c
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = false, false, false
      end
    end
  end
  place(1)
  return count, first
end
for n = 4, 8 do print("queens", n, queens(n)) end
local puzzle = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
local g = {}
for i = 1, 81 do g[i] = tonumber(puzzle:sub(i, i)) end
local function ok(g, i, v)
  local r, c = (i - 1) // 9, (i - 1) % 9
  for k = 0, 8 do
    if g[r * 9 + k + 1] == v or g[k * 9 + c + 1] == v then return false end
  end
  local br, bc = r - r % 3, c - c % 3
  for dr = 0, 2 do for dc = 0, 2 do
    if g[(br + dr) * 9 + bc + dc + 1] == v then return false end
  end end
  return true
end
local steps = 0
local function solve(g)
  for i = 1, 81 do
    if g[i] == 0 then
      for v = 1, 9 do
        if ok(g, i, v) then
          g[i] = v; steps = steps + 1
          if solve(g) then return true end
          g[i] = 0
        end
      end
      return false
    end
  end
  return true
end
print("solved", solve(g), "steps", steps)
for r = 0, 8 do
  local row = {}
  for c = 1, 9 do row[c] = g[r * 9 + c] end
  print(table.concat(row))
end

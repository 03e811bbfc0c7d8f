-- goto and labels
local i = 1
::top::
if i <= 3 then io.write(i, " "); i = i + 1; goto top end
print()
for a = 1, 3 do
  for b = 1, 3 do
    if b == 2 then goto next_a end
    io.write(a, b, " ")
  end
  ::next_a::
end
print()
do
  goto skip
  print("not printed")
  ::skip::
end
local fns = {}
local k = 1
::again::
do
  local v = k * 10
  fns[#fns+1] = function() return v end
end
k = k + 1
if k <= 3 then goto again end
print(fns[1](), fns[2](), fns[3]())
local function find(t, x)
  for i = 1, #t do
    if t[i] == x then goto found end
  end
  do return "missing" end
  ::found::
  return "found"
end
print(find({1, 2, 3}, 2), find({1, 2, 3}, 5))
print(load("goto nowhere") == nil)
local f, e = load("goto nowhere")
print(e)

-- goto: continue idiom, nested break-out, backward jumps forming loops, closures per jump
local out = {}
for i = 1, 10 do
  if i % 2 == 0 then goto continue end
  if i == 9 then goto done end
  out[#out+1] = i
  ::continue::
end
::done::
print(table.concat(out, " "))
local n = 0
do
  local i = 0
  ::loop::
  i = i + 1
  n = n + i
  if i < 100 then goto loop end
end
print(n)
local found
for a = 1, 20 do
  for b = 1, 20 do
    if a * b == 91 then found = a .. "x" .. b; goto out end
  end
end
::out::
print(found)
local cl = {}
do
  local k = 0
  ::top::
  local captured = k
  cl[#cl+1] = function() return captured end
  k = k + 1
  if k < 4 then goto top end
end
print(cl[1](), cl[2](), cl[3](), cl[4]())
print(load("do goto l end ::l::") ~= nil, select(2, load("goto l; local x; ::l:: print(x)")))
print(select(2, load("::a:: ::a::")))

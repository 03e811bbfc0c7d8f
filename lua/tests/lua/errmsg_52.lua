-- runtime error: error in loop body
local s = 0
for i = 1, 100 do
  s = s + i
  if i == 50 then error("stop at " .. s) end
end

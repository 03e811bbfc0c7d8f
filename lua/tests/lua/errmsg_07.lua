-- runtime error: call nil field
local t = {x = 1}
t.x = nil
t.x()

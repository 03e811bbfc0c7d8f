-- runtime error: error in metamethod
local t = setmetatable({}, {__index = function(t, k) error("no field " .. k) end})
print(t.foo)

-- runtime error: setmetatable bad arg
setmetatable(1, {})

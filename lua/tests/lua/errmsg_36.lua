-- runtime error: error in coroutine propagated
local co = coroutine.wrap(function() error("inside coroutine") end)
co()

-- runtime error: upvalue call
local cb
local function run() cb() end
run()

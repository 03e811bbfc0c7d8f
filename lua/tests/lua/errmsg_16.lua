-- runtime error: error level2
local function check(v)
  if not v then error("bad value", 2) end
end
local function user()
  check(false)
end
user()

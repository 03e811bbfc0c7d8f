-- dofile-free chunk tricks: chunk returning closures, _ENV manipulation
local chunk = load([[
  local count = 0
  return function() count = count + 1; return count end
]])
local c = chunk()
c(); c()
print(c())
local sandbox = {print = print, tostring = tostring}
local code = "local s = 0 for i = 1, 10 do s = s + i end print('sandboxed', s) return tostring(math)"
print(load(code, "sb", "t", sandbox)())
local function run(src, env) local f, e = load(src, "=run", "t", env or {}) if not f then return "ERR " .. e end return pcall(f) end
print(run("return 1"))
print(run("error('x')"))
print(run("return undefined_fn()"))
print(run("return 1 +"))
local _ENV = {print = print, load = load}
z = 3
print(z, load("return z")())

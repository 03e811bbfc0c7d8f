-- math: integer/float results of floor/ceil on edge values, min/max type preservation, abs overflow
print(math.floor(-0.5), math.ceil(-0.5), math.floor(0.5), math.ceil(0.5))
print(math.floor(2^62), math.floor(2^63), math.ceil(-2^63), math.ceil(-2^64))
print(math.type(math.floor(2^63)), math.type(math.ceil(-2^63)))
print(math.max(1, 2.0), math.type(math.max(1, 2.0)), math.max(2, 1.0), math.type(math.max(2, 1.0)))
print(math.min(1, 1.0), math.type(math.min(1, 1.0)), math.min(1.0, 1), math.type(math.min(1.0, 1)))
print(math.abs(math.mininteger) == math.mininteger, math.abs(-2^63))
print(math.fmod(5.5, 2), math.fmod(-5.5, 2), math.fmod(5, math.huge), math.type(math.fmod(5, 3)))
print(math.fmod(math.mininteger, math.maxinteger), math.fmod(3, math.mininteger))
print(math.sqrt(0), math.sqrt(1e100), math.exp(-math.huge), math.exp(math.huge))
print(math.log(1, 2), math.log(2, 2), math.log(1024, 2), math.log(1e-300, 10) < -299)
print(math.ult(0, math.mininteger), math.ult(math.maxinteger, math.mininteger))
print(math.tointeger(-0.0), math.tointeger(1e15), math.tointeger(0.1), math.tointeger(math.huge))
print(pcall(math.floor), pcall(math.abs, "x"))
print(string.format("%.10f %.10f", math.pi, -math.pi), math.pi == 4 * math.atan(1))
local h = 0
for i = 1, 1000 do h = h + math.floor(math.sin(i) * 1000) end
print(h)

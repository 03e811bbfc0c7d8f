-- integer arithmetic basics
local a, b = 17, 5
print("add", a + b, "sub", a - b, "mul", a * b)
print("idiv", a // b, "mod", a % b, "div", a / b)
print("neg", -a, "pow", a ^ 2, math.type(a ^ 2))
print("neg idiv", -17 // 5, 17 // -5, -17 // -5)
print("neg mod", -17 % 5, 17 % -5, -17 % -5)
print("zero", 0 * -1, math.type(0 * -1))
local s = 0
for i = 1, 100 do s = s + i * i end
print("sumsq", s)
local p = 1
for i = 1, 20 do p = p * i end
print("fact20", p)
print("wrap add", math.maxinteger + 1 == math.mininteger)
print("wrap sub", math.mininteger - 1 == math.maxinteger)
print("wrap mul", math.maxinteger * 2)
print("neg min", -math.mininteger == math.mininteger)
print("min // -1", math.mininteger // -1)
print("min % -1", math.mininteger % -1)
print("big", 1 << 62, (1 << 62) * 2)
print("types", math.type(1), math.type(1 + 1), math.type(3 // 2), math.type(3 / 1))

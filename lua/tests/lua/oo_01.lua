-- classes with setmetatable / __index, inheritance
local Animal = {}
Animal.__index = Animal
function Animal.new(name, sound) return setmetatable({name = name, sound = sound}, Animal) end
function Animal:speak() return self.name .. " says " .. self.sound end
function Animal:kind() return "animal" end
local Dog = setmetatable({}, {__index = Animal})
Dog.__index = Dog
function Dog.new(name) local d = Animal.new(name, "woof"); return setmetatable(d, Dog) end
function Dog:kind() return "dog" end
function Dog:fetch() return self.name .. " fetches" end
local a = Animal.new("cat", "meow")
local d = Dog.new("rex")
print(a:speak(), a:kind())
print(d:speak(), d:kind(), d:fetch())
print(getmetatable(d) == Dog, getmetatable(a) == Animal, d.fetch ~= nil, a.fetch)
local Account = {}
Account.__index = Account
function Account.new(b) return setmetatable({balance = b or 0}, Account) end
function Account:deposit(v) self.balance = self.balance + v; return self end
function Account:withdraw(v)
  if v > self.balance then error("insufficient funds", 2) end
  self.balance = self.balance - v
  return self
end
local acc = Account.new(100)
acc:deposit(50):withdraw(30)
print(acc.balance)
print(pcall(acc.withdraw, acc, 1000))
local total = 0
local accs = {}
for i = 1, 100 do accs[i] = Account.new(i) end
for r = 1, 10 do for i = 1, 100 do accs[i]:deposit(1) end end
for i = 1, 100 do total = total + accs[i].balance end
print(total)
local Shape = {}
Shape.__index = Shape
function Shape:area() return 0 end
function Shape:describe() return string.format("%s area=%.2f", self.tag, self:area()) end
local Circle = setmetatable({tag = "circle"}, Shape); Circle.__index = Circle
function Circle:area() return math.pi * self.r ^ 2 end
local Sq = setmetatable({tag = "square"}, Shape); Sq.__index = Sq
function Sq:area() return self.s * self.s end
local shapes = {setmetatable({r = 1}, Circle), setmetatable({s = 2}, Sq), setmetatable({r = 2}, Circle)}
for _, s in ipairs(shapes) do print(s:describe()) end

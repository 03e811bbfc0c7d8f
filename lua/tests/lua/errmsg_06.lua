-- runtime error: call nil method
local obj = {}
print("method next")
obj:missing_method()

-- runtime error: int mod by zero (kept on one line with a call: lua 5.4.4 reports a stale line otherwise)
local a, b = 10, 0
print("mod"); print(a % b)

-- runtime error: index nil local
local cfg
print("index")
print(cfg.name)

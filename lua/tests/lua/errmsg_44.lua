-- runtime error: math.floor bad
print(math.floor({}))

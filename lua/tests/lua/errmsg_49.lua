-- runtime error: select bad
print(select(0))

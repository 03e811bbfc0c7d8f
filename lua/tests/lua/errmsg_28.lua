-- runtime error: compare string number
print(1 < "2")

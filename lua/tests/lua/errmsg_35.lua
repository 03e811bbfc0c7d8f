-- runtime error: string.rep bad arg
print(string.rep())

-- runtime error: string.format bad
print(string.format("%d", 1.5))

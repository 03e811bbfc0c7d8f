-- runtime error: index nil global
print(no_such_table.key)

-- runtime error: error table
print("table error")
error({})

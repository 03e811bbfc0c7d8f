-- runtime error: call nil global
print("x")
undefined_function(1, 2)

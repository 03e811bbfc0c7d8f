-- runtime error: error msg
print("about to fail")
error("plain failure")

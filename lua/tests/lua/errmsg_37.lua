-- runtime error: error with number
error(42)

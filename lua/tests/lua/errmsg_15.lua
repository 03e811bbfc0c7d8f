-- runtime error: error level0
error("no position info", 0)

-- runtime error: table.insert bad
table.insert({}, 1, 2, 3)

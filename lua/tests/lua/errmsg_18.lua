-- runtime error: assert nil
assert(nil)

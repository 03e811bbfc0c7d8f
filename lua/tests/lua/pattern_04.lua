-- pattern matching edge cases: special chars in sets, %-escapes of every punctuation, long subjects
local punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
local escaped = punct:gsub("%p", "%%%0")
print(("x" .. punct .. "y"):find(escaped), #escaped)
print(("a]b"):match("[]]"), ("a-b"):match("[a%-]+"), ("a^b"):match("[%^b]+"))
print(("[x]"):match("^%[(.*)%]$"), ("{a}"):match("^{(.*)}$"))
print(("aaa bbb"):match("(a+) (b+)"))
local long = ("ab"):rep(5000) .. "c"
print(long:find("abc"), long:match("(a)bc$"), long:find("b(a)"))
print(long:match(".-c"):len(), long:match("^(.-)b"):len())
print(("x"):rep(6):find(("x?"):rep(4) .. "y"))
print(("0123456789"):gsub("[^1-8]", "_"))
print(("Hello World"):gsub("[%u]", function(c) return "<" .. c .. ">" end))
print(("CSV,with,\"quoted,comma\",end"):gsub('"[^"]*"', function(q) return q:gsub(",", ";") end))

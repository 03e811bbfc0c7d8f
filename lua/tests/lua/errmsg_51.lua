-- runtime error: ipairs nil
for i, v in ipairs(nil) do end

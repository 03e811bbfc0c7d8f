-- string.gmatch
local words = {}
for w in ("the quick brown fox"):gmatch("%a+") do words[#words+1] = w end
print(#words, table.concat(words, ","))
local kv = {}
for k, v in ("a=1, b=2, c=3"):gmatch("(%w+)=(%w+)") do kv[#kv+1] = k .. ":" .. v end
print(table.concat(kv, " "))
local nums = 0
for n in ("1 22 333 4444"):gmatch("%d+") do nums = nums + tonumber(n) end
print(nums)
local pos = {}
for p in ("abcabc"):gmatch("()b") do pos[#pos+1] = p end
print(table.concat(pos, " "))
local empties = 0
for e in ("abc"):gmatch("") do empties = empties + 1 end
print("empty matches", empties)
local chars = {}
for c in ("héllo"):gmatch(".") do chars[#chars+1] = #c end
print(#chars)
local lines = {}
for line in ("line1\nline2\n\nline4"):gmatch("([^\n]*)\n?") do lines[#lines+1] = "[" .. line .. "]" end
print(table.concat(lines))
local it = ("x y z"):gmatch("%a")
print(it(), it(), it(), it())
local csv = {}
for field in ("a,,b,c,"):gmatch("([^,]*)") do csv[#csv+1] = "<" .. field .. ">" end
print(table.concat(csv))
local anch = {}
for a in ("aaa"):gmatch("^a") do anch[#anch+1] = a end
print(#anch)
local pairs_ = {}
for a, b in ("k1=v1;k2=v2"):gmatch("(%w+)=(%w+)") do pairs_[#pairs_+1] = b .. a end
print(table.concat(pairs_, ","))
local cnt = 0
for _ in string.rep("ab ", 1000):gmatch("ab") do cnt = cnt + 1 end
print(cnt)
local init = {}
for w in ("one two three"):gmatch("%a+", 5) do init[#init+1] = w end
print(table.concat(init, "|"))

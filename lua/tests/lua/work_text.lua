-- workload: word frequency over generated text
local vocab = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "runs",
  "away", "from", "big", "bad", "wolf", "in", "dark", "forest", "under", "moon"}
local seed = 12345
local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n + 1 end
local sentences = {}
for s = 1, 400 do
  local words = {}
  for w = 1, rnd(10) + 3 do words[w] = vocab[rnd(#vocab)] end
  words[1] = words[1]:sub(1, 1):upper() .. words[1]:sub(2)
  sentences[s] = table.concat(words, " ") .. (s % 7 == 0 and "!" or ".")
end
local text = table.concat(sentences, " ")
print(#text, text:sub(1, 60))
local freq = {}
for w in text:lower():gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local list = {}
for w, c in pairs(freq) do list[#list+1] = {w = w, c = c} end
table.sort(list, function(a, b) if a.c ~= b.c then return a.c > b.c end return a.w < b.w end)
for i = 1, #list do print(string.format("%-8s %5d %s", list[i].w, list[i].c, ("*"):rep(list[i].c // 40))) end
local caps = select(2, text:gsub("%u", "%0"))
local bangs = select(2, text:gsub("!", "!"))
print("capitals", caps, "exclaims", bangs)
local longest = ""
for w in text:gmatch("%a+") do if #w > #longest or (#w == #longest and w < longest) then longest = w end end
print("longest", longest)
local swapped = text:sub(1, 80):gsub("(%a+) (%a+)", "%2 %1")
print(swapped)
local vowels = select(2, text:gsub("[aeiouAEIOU]", ""))
print("vowels", vowels)
local title = text:sub(1, 50):gsub("(%a)(%a*)", function(a, b) return a:upper() .. b end)
print(title)
local bigrams = {}
local prev
for w in text:lower():gmatch("%a+") do
  if prev then local k = prev .. " " .. w; bigrams[k] = (bigrams[k] or 0) + 1 end
  prev = w
end
local bl = {}
for k, v in pairs(bigrams) do bl[#bl+1] = string.format("%04d %s", 9999 - v, k) end
table.sort(bl)
for i = 1, 5 do print(bl[i]) end

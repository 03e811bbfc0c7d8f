-- workload: JSON encoder/decoder round-trip, sorted keys
local json = {}
local function kind(v)
  if type(v) ~= "table" then return type(v) end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n == #v then return "array" end
  return "object"
end
local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function enc_str(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return escapes[c] or string.format("\\u%04x", c:byte()) end) .. '"'
end
function json.encode(v)
  local k = kind(v)
  if k == "nil" then return "null"
  elseif k == "boolean" then return tostring(v)
  elseif k == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.14g", v)
  elseif k == "string" then return enc_str(v)
  elseif k == "array" then
    local out = {}
    for i = 1, #v do out[i] = json.encode(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  else
    local keys = {}
    for key in pairs(v) do keys[#keys+1] = tostring(key) end
    table.sort(keys)
    local out = {}
    for i, key in ipairs(keys) do out[i] = enc_str(key) .. ":" .. json.encode(v[key]) end
    return "{" .. table.concat(out, ",") .. "}"
  end
end
function json.decode(s)
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local val
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local c = s:sub(pos, pos)
      if c == '"' then pos = pos + 1 break end
      if c == "\\" then
        local e = s:sub(pos + 1, pos + 1)
        local map = {b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/"}
        if e == "u" then local cp = tonumber(s:sub(pos + 2, pos + 5), 16)
          out[#out+1] = cp < 128 and string.char(cp) or "?"; pos = pos + 6
        else out[#out+1] = map[e]; pos = pos + 2 end
      else out[#out+1] = c; pos = pos + 1 end
    end
    return table.concat(out)
  end
  function val()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local obj = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1 return obj end
      while true do
        ws(); local k = str(); ws(); pos = pos + 1
        obj[k] = val(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then return obj end
      end
    elseif c == "[" then
      local arr = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1 return arr end
      while true do
        arr[#arr+1] = val(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then return arr end
      end
    elseif c == '"' then return str()
    elseif s:find("^true", pos) then pos = pos + 4 return true
    elseif s:find("^false", pos) then pos = pos + 5 return false
    elseif s:find("^null", pos) then pos = pos + 4 return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[+-]?%d*", pos)
      pos = pos + #num
      return math.tointeger(tonumber(num)) or tonumber(num)
    end
  end
  return val()
end
local data = {
  name = "tracery", version = 3, pi = 3.14159, tags = {"jit", "lua", "trace"},
  nested = {a = {b = {c = {1, 2, {d = "deep"}}}}, empty = {}, flag = true, off = false},
  text = "line1\nline2\t\"quoted\" \\ back", neg = -42, big = 1e20, small = 1.5e-7,
}
local e1 = json.encode(data)
print(e1)
local back = json.decode(e1)
local e2 = json.encode(back)
print(e1 == e2)
local list = {}
for i = 1, 200 do list[i] = {id = i, sq = i * i, name = "item" .. i, ok = i % 3 == 0} end
local big = json.encode(list)
print(#big, big:sub(1, 80))
local dec = json.decode(big)
local s = 0
for _, it in ipairs(dec) do s = s + it.sq + (it.ok and 1 or 0) end
print(#dec, s, json.encode(dec) == big)
print(json.encode(json.decode('  { "x" : [ 1 , 2.5 , -3e2 , "\\u0041\\n" ] , "y" : null , "z" : {} } ')))

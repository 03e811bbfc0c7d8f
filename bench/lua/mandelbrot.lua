-- bench: mandelbrot bitmap checksum (float loops with early exit)
local N = tonumber(arg and arg[1]) or 1200
local iter = 50
local sum, bits, acc = 0, 0, 0
for y = 0, N - 1 do
  local Ci = 2 * y / N - 1
  for x = 0, N - 1 do
    local Cr = 2 * x / N - 1.5
    local Zr, Zi, Zrq, Ziq = 0.0, 0.0, 0.0, 0.0
    local escaped = 0
    for i = 1, iter do
      Zi = 2 * Zr * Zi + Ci
      Zr = Zrq - Ziq + Cr
      Zrq = Zr * Zr
      Ziq = Zi * Zi
      if Zrq + Ziq > 4.0 then escaped = 1 break end
    end
    acc = acc * 2 + (1 - escaped)
    bits = bits + 1
    if bits == 8 then sum = (sum * 31 + acc) % 1000000007; bits, acc = 0, 0 end
  end
end
print(sum)

-- workload: mandelbrot (small), prints checksums and an ASCII rendering
local W, H, ITER = 64, 32, 50
local rows = {}
local checksum, inside = 0, 0
for y = 0, H - 1 do
  local ci = (y / H) * 2.4 - 1.2
  local row = {}
  for x = 0, W - 1 do
    local cr = (x / W) * 3.2 - 2.2
    local zr, zi, n = 0.0, 0.0, 0
    while n < ITER and zr * zr + zi * zi <= 4.0 do
      zr, zi = zr * zr - zi * zi + cr, 2 * zr * zi + ci
      n = n + 1
    end
    checksum = (checksum * 31 + n) % 1000000007
    if n == ITER then inside = inside + 1 end
    row[#row+1] = n == ITER and "#" or (n > 10 and "+" or (n > 4 and "." or " "))
  end
  rows[#rows+1] = table.concat(row)
end
for i = 1, #rows, 2 do print(rows[i]) end
print("checksum", checksum, "inside", inside)
local bits, acc = 0, 0
for y = 0, 15 do
  for x = 0, 15 do
    local cr, ci = x / 8 - 1.5, y / 8 - 1.0
    local zr, zi, escaped = 0.0, 0.0, false
    for i = 1, 50 do
      local tr = zr * zr - zi * zi + cr
      zi = 2 * zr * zi + ci; zr = tr
      if zr * zr + zi * zi > 4 then escaped = true break end
    end
    acc = (acc << 1) | (escaped and 0 or 1)
    bits = bits + 1
    if bits == 8 then io.write(string.format("%02x", acc)); acc, bits = 0, 0 end
  end
end
print()

-- workload: iterative radix-2 FFT and inverse
local function fft(re, im, n, inv)
  local j = 1
  for i = 1, n do
    if i < j then re[i], re[j] = re[j], re[i]; im[i], im[j] = im[j], im[i] end
    local m = n // 2
    while m >= 1 and j > m do j = j - m; m = m // 2 end
    j = j + m
  end
  local len = 2
  while len <= n do
    local ang = 2 * math.pi / len * (inv and -1 or 1)
    local wr, wi = math.cos(ang), math.sin(ang)
    for i = 1, n, len do
      local cr, ci = 1.0, 0.0
      for k = 0, len // 2 - 1 do
        local a, b = i + k, i + k + len // 2
        local tr = re[b] * cr - im[b] * ci
        local ti = re[b] * ci + im[b] * cr
        re[b], im[b] = re[a] - tr, im[a] - ti
        re[a], im[a] = re[a] + tr, im[a] + ti
        cr, ci = cr * wr - ci * wi, cr * wi + ci * wr
      end
    end
    len = len * 2
  end
  if inv then for i = 1, n do re[i] = re[i] / n; im[i] = im[i] / n end end
end
local n = 256
local re, im, orig = {}, {}, {}
for i = 1, n do re[i] = math.sin(i * 0.3) + 0.5 * math.cos(i * 1.7); im[i] = 0.0; orig[i] = re[i] end
fft(re, im, n, false)
local energy = 0
for i = 1, n do energy = energy + re[i] * re[i] + im[i] * im[i] end
print(string.format("energy %.6f", energy / n))
local peak, pk = 0, 0
for i = 1, n // 2 do local m = math.sqrt(re[i] ^ 2 + im[i] ^ 2); if m > peak then peak, pk = m, i end end
print(string.format("peak bin %d mag %.6f", pk, peak))
fft(re, im, n, true)
local err = 0
for i = 1, n do err = math.max(err, math.abs(re[i] - orig[i])) end
print("roundtrip ok", err < 1e-9)
print(string.format("%.6f %.6f %.6f", re[1], re[2], re[n]))

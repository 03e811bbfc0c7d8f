-- bench: Richards-style OS task scheduler simulation (OO dispatch, linked queues)
local N = tonumber(arg and arg[1]) or 50
local ID_IDLE, ID_WORKER, ID_HA, ID_HB, ID_DA, ID_DB = 1, 2, 3, 4, 5, 6
local KIND_DEVICE, KIND_WORK = 0, 1
local Packet = {}
Packet.__index = Packet
function Packet.new(link, id, kind) return setmetatable({link = link, id = id, kind = kind, a1 = 0, a2 = {0, 0, 0, 0}}, Packet) end
function Packet:append(queue)
  self.link = nil
  if not queue then return self end
  local p = queue
  while p.link do p = p.link end
  p.link = self
  return queue
end
local Task = {}
Task.__index = Task
local sched = {tasks = {}, list = nil, current = nil, holdCount = 0, qpktCount = 0}
function Task.new(cls, id, pri, queue, state)
  local t = setmetatable({id = id, pri = pri, queue = queue, link = sched.list,
    waiting = false, held = false}, cls)
  sched.list = t
  sched.tasks[id] = t
  return t
end
function Task:isHeldOrSuspended() return self.held or (self.waiting and self.queue == nil) end
local function findtask(id) return sched.tasks[id] end
local function release(id)
  local t = findtask(id)
  t.held = false
  if t.pri > sched.current.pri then return t end
  return sched.current
end
local function holdCurrent()
  sched.holdCount = sched.holdCount + 1
  sched.current.held = true
  return sched.current.link
end
local function suspendCurrent() sched.current.waiting = true; return sched.current end
local function queuePacket(p)
  local t = findtask(p.id)
  sched.qpktCount = sched.qpktCount + 1
  p.link = nil
  p.id = sched.current.id
  if not t.queue then
    t.queue = p
    if t.pri > sched.current.pri then return t end
  else
    t.queue = p:append(t.queue)
  end
  return sched.current
end
local Idle = setmetatable({}, {__index = Task}); Idle.__index = Idle
function Idle:run(p)
  self.count = self.count - 1
  if self.count == 0 then return holdCurrent() end
  self.ctrl = (self.ctrl * 75 + 74) % 65537
  if self.ctrl % 2 == 0 then return release(ID_DA) end
  return release(ID_DB)
end
local Worker = setmetatable({}, {__index = Task}); Worker.__index = Worker
function Worker:run(p)
  if not p then return suspendCurrent() end
  self.dest = (self.dest == ID_HA) and ID_HB or ID_HA
  p.id = self.dest
  p.a1 = 0
  for i = 1, 4 do
    self.count = self.count + 1
    if self.count > 26 then self.count = 1 end
    p.a2[i] = self.count
  end
  return queuePacket(p)
end
local Handler = setmetatable({}, {__index = Task}); Handler.__index = Handler
function Handler:run(p)
  if p then
    if p.kind == KIND_WORK then self.work = p:append(self.work) else self.dev = p:append(self.dev) end
  end
  if self.work then
    local w = self.work
    local c = w.a1 + 1
    if c > 4 then
      self.work = w.link
      return queuePacket(w)
    end
    if self.dev then
      local d = self.dev
      self.dev = d.link
      d.a1 = w.a2[c]
      w.a1 = c
      return queuePacket(d)
    end
  end
  return suspendCurrent()
end
local Device = setmetatable({}, {__index = Task}); Device.__index = Device
function Device:run(p)
  if not p then
    if not self.pending then return suspendCurrent() end
    local v = self.pending
    self.pending = nil
    return queuePacket(v)
  end
  self.pending = p
  return holdCurrent()
end
local function schedule()
  sched.current = sched.list
  while sched.current do
    local t = sched.current
    if t:isHeldOrSuspended() then
      sched.current = t.link
    else
      local p
      if t.waiting and t.queue then
        p = t.queue
        t.queue = p.link
        t.waiting = false
      end
      sched.current = t:run(p)
    end
  end
end
local function reset()
  sched.tasks, sched.list, sched.current, sched.holdCount, sched.qpktCount = {}, nil, nil, 0, 0
  local idle = Task.new(Idle, ID_IDLE, 0, nil); idle.count = 10000; idle.ctrl = 1
  local q = Packet.new(nil, ID_WORKER, KIND_WORK); q = Packet.new(q, ID_WORKER, KIND_WORK)
  local w = Task.new(Worker, ID_WORKER, 1000, q); w.dest = ID_HA; w.count = 0; w.waiting = true
  q = Packet.new(nil, ID_DA, KIND_DEVICE); q = Packet.new(q, ID_DA, KIND_DEVICE); q = Packet.new(q, ID_DA, KIND_DEVICE)
  local ha = Task.new(Handler, ID_HA, 2000, q); ha.waiting = true
  q = Packet.new(nil, ID_DB, KIND_DEVICE); q = Packet.new(q, ID_DB, KIND_DEVICE); q = Packet.new(q, ID_DB, KIND_DEVICE)
  local hb = Task.new(Handler, ID_HB, 3000, q); hb.waiting = true
  local da = Task.new(Device, ID_DA, 4000, nil); da.waiting = true
  local db = Task.new(Device, ID_DB, 5000, nil); db.waiting = true
end
local qsum, hsum = 0, 0
for i = 1, N do
  reset()
  schedule()
  qsum = qsum + sched.qpktCount
  hsum = hsum + sched.holdCount
end
print(qsum, hsum)

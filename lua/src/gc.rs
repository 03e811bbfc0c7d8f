//! The heap and its precise, stop-the-world mark-and-sweep collector.
//!
//! Every object begins with a [`GcHeader`]. Non-string objects are chained through
//! `hdr.next` on the heap's object list; strings are owned by the intern table (chained
//! through the same field in their bucket), so sweeping the intern table is how dead strings
//! leave it. Marking is iterative over an explicit gray stack, so object graphs of any depth
//! are safe.
//!
//! Weak tables follow 5.4: a table whose metatable's `__mode` has `v` holds its values
//! weakly, `k` its keys (an ephemeron: a value is reached only through a reached key), both
//! `kv`. Strings count as values there, never cleared. A table given a metatable with
//! `__gc` is registered for finalization; when a collection finds it unreachable, it is
//! resurrected (with what it reaches) and queued, and the VM calls the finalizers after the
//! collection, as Lua code. Weak values that point at it are cleared before the
//! resurrection, weak keys only once it is really freed (as 5.4 orders them).

use crate::string::{LuaStr, StrTable};
use crate::table::Table;
use crate::value::{TValue, T_STR};
use std::any::Any;
use std::cell::Cell;
use std::ptr;

pub const K_STR: u8 = 0;
pub const K_TABLE: u8 = 1;
pub const K_LCLOSURE: u8 = 2;
pub const K_UPVAL: u8 = 3;
pub const K_NATIVE: u8 = 4;
pub const K_USERDATA: u8 = 5;
pub const K_THREAD: u8 = 6;
pub const K_PROTO: u8 = 7;

/// The common prefix of every heap object.
#[repr(C)]
pub struct GcHeader {
    pub next: *mut GcHeader,
    pub kind: u8,
    pub marked: u8,
    /// `FLAG_FINALIZE`.
    pub flags: u8,
}

/// The object is registered for finalization (it had a `__gc` when its metatable was set).
pub const FLAG_FINALIZE: u8 = 1;

impl GcHeader {
    pub(crate) fn new(kind: u8, next: *mut GcHeader) -> GcHeader {
        GcHeader { next, kind, marked: 0, flags: 0 }
    }
}

/// Whether a value survives the collection in progress (non-objects always do; strings are
/// values for weak tables, marked when a weak table holds them).
///
/// # Safety
/// During a collection's clearing phase, with `v` read from a table being traced.
pub(crate) unsafe fn alive(v: TValue) -> bool {
    // SAFETY: an object value points at a live header until the sweep.
    v.tag <= T_STR || unsafe { (*(v.val as *const GcHeader)).marked != 0 }
}

/// The unwinding payload of an allocation that failed: `lua_exec` turns it into the Lua
/// error "not enough memory" (an allocation failure in Rust would abort the process).
pub struct OutOfMemory;

/// Gives up on the running instruction because memory ran out. The caller must leave its
/// object consistent first; this unwinds (without the panic hook's message) to `lua_exec`.
pub fn out_of_memory() -> ! {
    // What the error's way out allocates comes from the reserve.
    RESERVE.with(|r| r.borrow_mut().take());
    std::panic::resume_unwind(Box::new(OutOfMemory))
}

/// Memory held back for the error path after an allocation fails (5.4 collects in an
/// emergency instead; this collector cannot run in the middle of an operation). Taken again
/// after the next collection.
const RESERVE_BYTES: usize = 4 << 20;

thread_local! {
    static RESERVE: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

fn refill_reserve() {
    RESERVE.with(|r| {
        let mut r = r.borrow_mut();
        if r.is_none() {
            let mut v = Vec::new();
            if v.try_reserve_exact(RESERVE_BYTES).is_ok() {
                *r = Some(v);
            }
        }
    });
}

/// `Box::new`, with running out of memory reported as `out_of_memory` instead of an abort.
fn try_box<T>(x: T) -> Box<T> {
    let layout = std::alloc::Layout::new::<T>();
    if layout.size() == 0 {
        return Box::new(x);
    }
    // SAFETY: a layout of non-zero size; the pointer is checked, initialized with `x`, and
    // handed to a Box, which frees it with the same global allocator and layout.
    unsafe {
        let p = std::alloc::alloc(layout) as *mut T;
        if p.is_null() {
            out_of_memory();
        }
        p.write(x);
        Box::from_raw(p)
    }
}

/// A vector of `n` copies of `x`, or `out_of_memory`.
pub fn try_filled<T: Clone>(n: usize, x: T) -> Vec<T> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        out_of_memory();
    }
    v.resize(n, x);
    v
}

/// Marks the values an opaque payload holds (a thread's stack, a prototype's constants).
pub type TraceFn = fn(&dyn Any, &mut Marker);

/// Payloads that hold Lua values implement this; [`trace_fn`] turns it into a [`TraceFn`].
pub trait Trace {
    fn trace(&self, m: &mut Marker);
}

fn trace_as<T: Trace + 'static>(a: &dyn Any, m: &mut Marker) {
    if let Some(t) = a.downcast_ref::<T>() {
        t.trace(m);
    }
}

/// The trace hook for payload type `T`.
pub fn trace_fn<T: Trace + 'static>() -> TraceFn {
    trace_as::<T>
}

/// A Lua function: a prototype (an opaque `K_PROTO` object, or null) and its upvalues.
#[repr(C)]
pub struct LClosure {
    pub hdr: GcHeader,
    pub proto: *mut Opaque,
    /// `upvals`' buffer, for the GETUPVAL/SETUPVAL fragments (`upvals` never changes).
    pub upv: *const *mut UpVal,
    pub upvals: Vec<*mut UpVal>,
}

/// An upvalue. Open, `v` points at a VM stack slot; closed, `v` points at `closed`. The
/// stack slot of an open upvalue is the thread's to mark, so the collector only reads
/// `closed`.
#[repr(C)]
pub struct UpVal {
    pub hdr: GcHeader,
    pub v: *mut TValue,
    pub closed: TValue,
}

pub const UPVAL_V: usize = std::mem::offset_of!(UpVal, v);
pub const LCLOSURE_PROTO: usize = std::mem::offset_of!(LClosure, proto);
pub const LCLOSURE_UPV: usize = std::mem::offset_of!(LClosure, upv);
pub const NATIVE_BUILTIN: usize = std::mem::offset_of!(Native, builtin);

impl UpVal {
    pub fn is_open(&self) -> bool {
        !ptr::eq(self.v, &self.closed)
    }
    pub fn get(&self) -> TValue {
        // SAFETY: `v` is either `&self.closed` or the stack slot promised valid until
        // `close` by the caller of the unsafe `Heap::new_upval_open`.
        unsafe { *self.v }
    }
    pub fn set(&mut self, x: TValue) {
        // SAFETY: as in `get`.
        unsafe { *self.v = x }
    }
    /// Copies the slot's value into the upvalue and repoints it there (the VM calls this
    /// before the stack slot dies).
    pub fn close(&mut self) {
        if self.is_open() {
            // SAFETY: as in `get`; the slot is still valid because we are still open.
            self.closed = unsafe { *self.v };
            self.v = &mut self.closed;
        }
    }
}

/// A Rust function callable from Lua: `f` is opaque here (the VM's function pointer).
#[repr(C)]
pub struct Native {
    pub hdr: GcHeader,
    /// Which library function this is, for the fragments that do its work in place
    /// (`program::BUILTIN_*`; 0 for any other).
    pub builtin: u64,
    pub f: usize,
    pub name: &'static str,
    pub upvals: Vec<TValue>,
}

/// A full userdata: a Rust payload, a metatable and one user value.
#[repr(C)]
pub struct Userdata {
    pub hdr: GcHeader,
    pub meta: *mut Table,
    pub uservalue: TValue,
    pub payload: Box<dyn Any>,
    pub trace: Option<TraceFn>,
}

/// An object whose payload only the VM understands: a thread (`K_THREAD`) or a prototype
/// (`K_PROTO`). `trace` marks what the payload references.
#[repr(C)]
pub struct Opaque {
    pub hdr: GcHeader,
    pub payload: Box<dyn Any>,
    pub trace: Option<TraceFn>,
}

/// Collects the roots and the gray stack during a collection.
pub struct Marker {
    gray: Vec<*mut GcHeader>,
    /// An object was marked but did not fit on `gray`.
    overflow: bool,
    /// The heap's object list, for the rescan after an overflow.
    objects: *mut GcHeader,
    /// The interned "__mode", to read a metatable's mode.
    mode_key: TValue,
    /// Tables traced with weak values only, weak keys only (ephemerons), and both.
    pub(crate) weak_values: Vec<*mut Table>,
    pub(crate) ephemerons: Vec<*mut Table>,
    pub(crate) all_weak: Vec<*mut Table>,
}

impl Marker {
    /// The weakness a metatable gives: (weak keys, weak values).
    pub(crate) fn mode_of(&self, meta: *mut Table) -> (bool, bool) {
        if meta.is_null() {
            return (false, false);
        }
        // SAFETY: a table's metatable is a live table (marking reads, never frees).
        let m = unsafe { (*meta).get(self.mode_key) };
        if m.tag != T_STR {
            return (false, false);
        }
        // SAFETY: a string value points at a live interned string.
        let b = unsafe { (*(m.val as *const LuaStr)).as_bytes() };
        (b.contains(&b'k'), b.contains(&b'v'))
    }

    /// Ephemerons: marks the value of every entry whose key has been reached, until nothing
    /// new is reached.
    fn converge(&mut self) {
        loop {
            let mut more = false;
            for i in 0..self.ephemerons.len() {
                let t = self.ephemerons[i];
                // SAFETY: traced tables are live until the sweep; `alive` reads headers.
                unsafe {
                    (*t).for_each_entry(|k, v| {
                        if alive(k) && !alive(v) {
                            self.mark_value(v);
                            more = true;
                        }
                    });
                }
            }
            if !more {
                return;
            }
            self.drain();
        }
    }

    /// Marks the object a value references (no-op for non-objects).
    #[inline]
    pub fn mark_value(&mut self, v: TValue) {
        if v.tag >= T_STR {
            self.mark_obj(v.val as *mut GcHeader);
        }
    }
    /// Marks an object (null is ignored) and queues it for its children, once: so the gray
    /// stack never holds more than the heap's objects, and `collect` reserves that much
    /// before it marks anything.
    #[inline]
    pub fn mark_obj<T>(&mut self, p: *mut T) {
        let p = p as *mut GcHeader;
        // SAFETY: only live objects are marked: roots are the caller's contract, children
        // come from live objects' fields.
        unsafe {
            if p.is_null() || (*p).marked != 0 {
                return;
            }
            (*p).marked = 1;
            if (*p).kind != K_STR {
                // The stack never grows while marking (memory may be gone): a full stack
                // makes `drain` rescan the heap instead.
                if self.gray.len() < self.gray.capacity() {
                    self.gray.push(p);
                } else {
                    self.overflow = true;
                }
            }
        }
    }

    /// Pops the gray stack until empty, queueing children.
    fn drain(&mut self) {
        loop {
            while let Some(p) = self.gray.pop() {
                // SAFETY: only marked live objects are queued (see `mark_obj`).
                unsafe { self.trace_children(p) };
            }
            if !self.overflow {
                return;
            }
            // Some marked objects were not queued: trace every marked one again (what they
            // reach is then marked or queued), until nothing overflows.
            self.overflow = false;
            let mut p = self.objects;
            while !p.is_null() {
                // SAFETY: the heap's object list, whose objects live until the sweep.
                unsafe {
                    if (*p).marked != 0 {
                        self.trace_children(p);
                        while let Some(q) = self.gray.pop() {
                            self.trace_children(q);
                        }
                    }
                    p = (*p).next;
                }
            }
        }
    }

    /// Marks what object `p` references.
    ///
    /// # Safety
    /// `p` is a live object of the heap.
    unsafe fn trace_children(&mut self, p: *mut GcHeader) {
        // SAFETY: per the contract, `kind` tells the concrete type.
        unsafe {
            match (*p).kind {
                K_STR => {}
                K_TABLE => (*(p as *mut Table)).trace(self),
                K_LCLOSURE => {
                    let c = &*(p as *mut LClosure);
                    self.mark_obj(c.proto);
                    for &u in &c.upvals {
                        self.mark_obj(u);
                    }
                }
                K_UPVAL => {
                    let u = &*(p as *mut UpVal);
                    if !u.is_open() {
                        self.mark_value(u.closed);
                    }
                }
                K_NATIVE => {
                    for &v in &(*(p as *mut Native)).upvals {
                        self.mark_value(v);
                    }
                }
                K_USERDATA => {
                    let u = &*(p as *mut Userdata);
                    self.mark_obj(u.meta);
                    self.mark_value(u.uservalue);
                    if let Some(t) = u.trace {
                        t(&*u.payload, self);
                    }
                }
                _ => {
                    let o = &*(p as *mut Opaque);
                    if let Some(t) = o.trace {
                        t(&*o.payload, self);
                    }
                }
            }
        }
    }
}

/// The minimum collection threshold.
pub const MIN_THRESHOLD: usize = 1 << 20;

/// All Lua objects of one Lua state.
pub struct Heap {
    objects: *mut GcHeader,
    nobjects: usize,
    strings: StrTable,
    /// Approximate bytes in use; boxed so tables can add their growth through a stable
    /// pointer without holding the heap.
    allocated: Box<Cell<usize>>,
    threshold: usize,
    pinned: Vec<*mut GcHeader>,
    gray: Vec<*mut GcHeader>,
    mode_key: TValue,
    /// Objects registered for finalization that have not been found unreachable yet.
    finobj: Vec<*mut GcHeader>,
    /// Unreachable objects whose finalizers are due, next first (they stay alive, as roots,
    /// until the VM has called them).
    tobefnz: Vec<*mut GcHeader>,
    /// The gray stack's room (0: every object); a test sets it small to force overflows.
    pub gray_room: usize,
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    pub fn new() -> Heap {
        let mut h = Heap {
            objects: ptr::null_mut(),
            nobjects: 0,
            strings: StrTable::new(),
            allocated: Box::new(Cell::new(0)),
            threshold: MIN_THRESHOLD,
            pinned: Vec::new(),
            gray: Vec::new(),
            mode_key: TValue::NIL,
            finobj: Vec::new(),
            tobefnz: Vec::new(),
            gray_room: 0,
        };
        let k = h.intern(b"__mode");
        h.pin(k);
        refill_reserve();
        h.mode_key = TValue::string(k);
        h
    }

    /// Registers `obj` for finalization (once).
    pub fn register_finalizer<T>(&mut self, obj: *mut T) {
        let p = obj as *mut GcHeader;
        // SAFETY: the caller passes a live object of this heap.
        unsafe {
            if (*p).flags & FLAG_FINALIZE == 0 {
                (*p).flags |= FLAG_FINALIZE;
                self.finobj.push(p);
            }
        }
    }

    /// The next object whose finalizer is due, taken off the queue (it stays alive until the
    /// next collection finds it unreachable again).
    pub fn next_to_finalize(&mut self) -> Option<*mut GcHeader> {
        if self.tobefnz.is_empty() {
            None
        } else {
            Some(self.tobefnz.remove(0))
        }
    }

    pub fn has_pending_finalizers(&self) -> bool {
        !self.tobefnz.is_empty()
    }

    /// Queues every registered object's finalizer, reachable or not (the state is closing).
    pub fn finalize_all(&mut self) {
        let mut all = std::mem::take(&mut self.finobj);
        all.reverse();
        self.tobefnz.extend(all);
    }

    fn add_bytes(&self, n: usize) {
        self.allocated.set(self.allocated.get() + n);
    }

    /// Links a freshly boxed object into the object list.
    fn link<T>(&mut self, obj: Box<T>, size: usize) -> *mut T {
        let p = Box::into_raw(obj);
        // SAFETY: every object type is repr(C) with a GcHeader first, so the cast is valid.
        unsafe { (*(p as *mut GcHeader)).next = self.objects };
        self.objects = p as *mut GcHeader;
        self.nobjects += 1;
        self.add_bytes(size);
        p
    }

    /// The interned string with these bytes (created if needed).
    pub fn intern(&mut self, b: &[u8]) -> *mut LuaStr {
        let (p, n) = self.strings.intern(b);
        self.add_bytes(n);
        p
    }

    /// `intern` as a value.
    pub fn str_value(&mut self, b: &[u8]) -> TValue {
        TValue::string(self.intern(b))
    }

    /// Whether a string with these bytes is currently interned.
    pub fn is_interned(&self, b: &[u8]) -> bool {
        self.strings.contains(b)
    }

    /// A new empty table with room for `narr` array and `nhash` hash entries.
    pub fn new_table(&mut self, narr: usize, nhash: usize) -> *mut Table {
        let t = try_box(Table::new(narr, nhash, &*self.allocated));
        let size = t.size();
        self.link(t, size)
    }

    pub fn new_lclosure(&mut self, proto: *mut Opaque, upvals: Vec<*mut UpVal>) -> *mut LClosure {
        let size = std::mem::size_of::<LClosure>() + upvals.capacity() * 8;
        let upv = upvals.as_ptr();
        self.link(
            try_box(LClosure { hdr: GcHeader::new(K_LCLOSURE, ptr::null_mut()), proto, upv, upvals }),
            size,
        )
    }

    /// A new open upvalue on `slot`.
    ///
    /// # Safety
    /// `slot` must stay valid for reads and writes until the upvalue is closed.
    pub unsafe fn new_upval_open(&mut self, slot: *mut TValue) -> *mut UpVal {
        self.link(
            try_box(UpVal { hdr: GcHeader::new(K_UPVAL, ptr::null_mut()), v: slot, closed: TValue::nil() }),
            std::mem::size_of::<UpVal>(),
        )
    }

    /// A new closed upvalue holding `v`.
    pub fn new_upval_closed(&mut self, v: TValue) -> *mut UpVal {
        let u = self.link(
            try_box(UpVal { hdr: GcHeader::new(K_UPVAL, ptr::null_mut()), v: ptr::null_mut(), closed: v }),
            std::mem::size_of::<UpVal>(),
        );
        // SAFETY: `u` was just allocated and is not shared yet.
        unsafe { (*u).v = &mut (*u).closed };
        u
    }

    pub fn new_native(&mut self, f: usize, name: &'static str, upvals: Vec<TValue>) -> *mut Native {
        let size = std::mem::size_of::<Native>() + upvals.capacity() * 16;
        let n = Native { hdr: GcHeader::new(K_NATIVE, ptr::null_mut()), builtin: 0, f, name, upvals };
        self.link(try_box(n), size)
    }

    pub fn new_userdata(&mut self, payload: Box<dyn Any>, trace: Option<TraceFn>) -> *mut Userdata {
        let size = std::mem::size_of::<Userdata>() + std::mem::size_of_val(&*payload);
        self.link(
            try_box(Userdata {
                hdr: GcHeader::new(K_USERDATA, ptr::null_mut()),
                meta: ptr::null_mut(),
                uservalue: TValue::nil(),
                payload,
                trace,
            }),
            size,
        )
    }

    /// A thread or prototype object (`kind` is `K_THREAD` or `K_PROTO`).
    pub fn new_opaque(&mut self, kind: u8, payload: Box<dyn Any>, trace: Option<TraceFn>) -> *mut Opaque {
        assert!(kind == K_THREAD || kind == K_PROTO, "opaque objects are threads or protos");
        let size = std::mem::size_of::<Opaque>() + std::mem::size_of_val(&*payload);
        self.link(try_box(Opaque { hdr: GcHeader::new(kind, ptr::null_mut()), payload, trace }), size)
    }

    /// Makes an object a permanent root (e.g. a prototype's constant strings).
    pub fn pin<T>(&mut self, obj: *mut T) {
        if !obj.is_null() {
            self.pinned.push(obj as *mut GcHeader);
        }
    }

    /// Removes one `pin` of `obj`.
    pub fn unpin<T>(&mut self, obj: *mut T) {
        if let Some(i) = self.pinned.iter().position(|&p| p == obj as *mut GcHeader) {
            self.pinned.swap_remove(i);
        }
    }

    /// Approximate bytes in use.
    pub fn allocated(&self) -> usize {
        self.allocated.get()
    }
    pub fn threshold(&self) -> usize {
        self.threshold
    }
    /// `collectgarbage("count")`: kilobytes in use.
    pub fn count_kb(&self) -> f64 {
        self.allocated.get() as f64 / 1024.0
    }
    /// Whether the VM should call `collect` at its next safe point.
    pub fn should_collect(&self) -> bool {
        self.allocated.get() > self.threshold
    }
    /// Live non-string objects (after the last sweep, plus allocations since).
    pub fn object_count(&self) -> usize {
        self.nobjects
    }
    pub fn string_count(&self) -> usize {
        self.strings.len()
    }

    /// A full collection: pinned objects and whatever `roots` marks survive, with everything
    /// they reach; the rest is freed. Then the threshold becomes 7/4 of the live size, at
    /// least `MIN_THRESHOLD` (Lua pauses for 200%, but its collector is incremental; a
    /// stop-the-world one at 200% peaked above twice lua5.4's memory on binary_trees).
    pub fn collect(&mut self, roots: &mut dyn FnMut(&mut Marker)) {
        let mut m = Marker {
            gray: std::mem::take(&mut self.gray),
            overflow: false,
            objects: self.objects,
            mode_key: self.mode_key,
            weak_values: Vec::new(),
            ephemerons: Vec::new(),
            all_weak: Vec::new(),
        };
        // Room for every object at once (each is queued once); short of memory, what can
        // be had (an overflow costs rescans, not correctness).
        let room = match self.gray_room {
            0 => self.nobjects + self.pinned.len() + 64,
            n => n,
        };
        if m.gray.try_reserve_exact(room).is_err() {
            let _ = m.gray.try_reserve(4096);
        }
        for i in 0..self.pinned.len() {
            m.mark_obj(self.pinned[i]);
        }
        for i in 0..self.tobefnz.len() {
            m.mark_obj(self.tobefnz[i]);
        }
        m.drain();
        roots(&mut m);
        m.drain();
        m.converge();
        // Weak values of objects about to be finalized go before they are resurrected.
        let clear_values = |m: &Marker| {
            for &t in m.weak_values.iter().chain(&m.all_weak) {
                // SAFETY: traced tables are live until the sweep.
                unsafe { (*t).clear_dead(false, true) };
            }
        };
        clear_values(&m);
        let mut due = Vec::new();
        // SAFETY: registered objects are live until swept (and are unregistered then).
        self.finobj.retain(|&p| unsafe {
            if (*p).marked != 0 {
                true
            } else {
                due.push(p);
                false
            }
        });
        // Newest registration first, as 5.4 calls them.
        due.reverse();
        for &p in &due {
            m.mark_obj(p);
        }
        m.drain();
        m.converge();
        for &t in m.ephemerons.iter().chain(&m.all_weak) {
            // SAFETY: as above.
            unsafe { (*t).clear_dead(true, false) };
        }
        clear_values(&m);
        for &p in &due {
            // SAFETY: resurrected objects are live; they are finalized once.
            unsafe { (*p).flags &= !FLAG_FINALIZE };
        }
        self.tobefnz.extend(due);
        self.gray = std::mem::take(&mut m.gray);
        let (mut live, _) = self.strings.sweep();
        let mut link: *mut *mut GcHeader = &mut self.objects;
        // SAFETY: `link` points at the list head or at a live object's `next`; an unmarked
        // object is unlinked before it is freed, and nothing references it any more (it was
        // unreachable from every root).
        unsafe {
            while !(*link).is_null() {
                let p = *link;
                if (*p).marked != 0 {
                    (*p).marked = 0;
                    live += obj_size(p);
                    link = &mut (*p).next;
                } else {
                    *link = (*p).next;
                    free_obj(p);
                    self.nobjects -= 1;
                }
            }
        }
        self.allocated.set(live);
        self.threshold = (live / 4 * 7).max(MIN_THRESHOLD);
        refill_reserve();
    }
}

/// The accounted size of a live non-string object.
///
/// # Safety
/// `p` must be a live object of a heap's object list.
unsafe fn obj_size(p: *mut GcHeader) -> usize {
    // SAFETY: per the contract, `kind` tells the concrete type.
    unsafe {
        match (*p).kind {
            K_TABLE => (*(p as *mut Table)).size(),
            K_LCLOSURE => std::mem::size_of::<LClosure>() + (*(p as *mut LClosure)).upvals.capacity() * 8,
            K_UPVAL => std::mem::size_of::<UpVal>(),
            K_NATIVE => std::mem::size_of::<Native>() + (*(p as *mut Native)).upvals.capacity() * 16,
            K_USERDATA => {
                std::mem::size_of::<Userdata>() + std::mem::size_of_val(&*(*(p as *mut Userdata)).payload)
            }
            _ => std::mem::size_of::<Opaque>() + std::mem::size_of_val(&*(*(p as *mut Opaque)).payload),
        }
    }
}

/// Frees a non-string object.
///
/// # Safety
/// `p` must be an unlinked object of a heap's list, never used again.
unsafe fn free_obj(p: *mut GcHeader) {
    // SAFETY: per the contract; the box is rebuilt with the type it was created with.
    unsafe {
        match (*p).kind {
            K_TABLE => drop(Box::from_raw(p as *mut Table)),
            K_LCLOSURE => drop(Box::from_raw(p as *mut LClosure)),
            K_UPVAL => drop(Box::from_raw(p as *mut UpVal)),
            K_NATIVE => drop(Box::from_raw(p as *mut Native)),
            K_USERDATA => drop(Box::from_raw(p as *mut Userdata)),
            _ => drop(Box::from_raw(p as *mut Opaque)),
        }
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        let mut p = self.objects;
        while !p.is_null() {
            // SAFETY: each object is visited once; its link is read before it is freed.
            unsafe {
                let next = (*p).next;
                free_obj(p);
                p = next;
            }
        }
        // Strings are freed by the StrTable's own Drop.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_objects_are_freed() {
        let mut h = Heap::new();
        let keep = h.new_table(0, 0);
        let _drop = h.new_table(4, 4);
        let s = h.intern(b"kept");
        h.intern(b"dropped");
        assert_eq!(h.object_count(), 2);
        h.collect(&mut |m| {
            m.mark_obj(keep);
            m.mark_obj(s);
        });
        assert_eq!(h.object_count(), 1);
        assert!(h.is_interned(b"kept"));
        assert!(!h.is_interned(b"dropped"));
        assert_eq!(h.intern(b"kept"), s);
    }

    #[test]
    fn pinned_survive_and_unpin_releases() {
        let mut h = Heap::new();
        let s = h.intern(b"const");
        h.pin(s);
        h.collect(&mut |_| {});
        assert!(h.is_interned(b"const"));
        h.unpin(s);
        h.collect(&mut |_| {});
        assert!(!h.is_interned(b"const"));
    }

    #[test]
    fn closures_keep_upvalues_and_protos() {
        struct P(Vec<TValue>);
        impl Trace for P {
            fn trace(&self, m: &mut Marker) {
                for &v in &self.0 {
                    m.mark_value(v);
                }
            }
        }
        let mut h = Heap::new();
        let k = h.str_value(b"proto-const");
        let proto = h.new_opaque(K_PROTO, Box::new(P(vec![k])), Some(trace_fn::<P>()));
        let inner = h.str_value(b"in-upvalue");
        let u = h.new_upval_closed(inner);
        let c = h.new_lclosure(proto, vec![u]);
        h.collect(&mut |m| m.mark_value(TValue::lclosure(c)));
        assert_eq!(h.object_count(), 3);
        assert!(h.is_interned(b"proto-const"));
        assert!(h.is_interned(b"in-upvalue"));
        // SAFETY: `u` is alive (reachable from the closure).
        assert_eq!(unsafe { (*u).get() }, inner);
        h.collect(&mut |_| {});
        assert_eq!(h.object_count(), 0);
        // Only the pinned "__mode" is left.
        assert_eq!(h.string_count(), 1);
    }

    #[test]
    fn a_full_gray_stack_rescans_instead_of_growing() {
        let mut h = Heap::new();
        h.gray_room = 2;
        // A wide table and a deep chain, all reachable, and garbage beside them.
        let wide = h.new_table(0, 0);
        let mut last = wide;
        for i in 0..300 {
            let c = h.new_table(0, 0);
            let d = h.new_table(0, 0);
            let _garbage = h.new_table(0, 0);
            // SAFETY: live tables of `h`.
            unsafe {
                (*wide).set_int(i + 1, TValue::table(c));
                (*last).set_int(1000, TValue::table(d));
            }
            last = d;
        }
        h.collect(&mut |m| m.mark_obj(wide));
        assert_eq!(h.object_count(), 601, "everything reachable survives, nothing else");
        h.collect(&mut |_| {});
        assert_eq!(h.object_count(), 0);
    }

    #[test]
    fn weak_values_clear_and_finalizers_resurrect() {
        let mut h = Heap::new();
        let weak = h.new_table(0, 0);
        let mt = h.new_table(0, 0);
        let mode = h.str_value(b"__mode");
        let v = h.str_value(b"v");
        let dead = h.new_table(0, 0);
        let fin = h.new_table(0, 0);
        h.register_finalizer(fin);
        h.register_finalizer(fin);
        // SAFETY: all live tables of `h`, unshared.
        unsafe {
            (*mt).set(mode, v).unwrap();
            (*weak).set_meta(mt);
            (*weak).set_int(1, TValue::table(dead));
            (*weak).set_int(2, TValue::table(fin));
            (*weak).set_int(3, v);
        }
        h.collect(&mut |m| m.mark_obj(weak));
        // SAFETY: `weak` survived.
        let w = unsafe { &*weak };
        assert!(w.get_int(1).is_nil(), "an unreachable value is cleared");
        assert!(w.get_int(2).is_nil(), "a value being finalized is cleared first");
        assert_eq!(w.get_int(3), v, "strings stay");
        assert!(h.has_pending_finalizers());
        assert_eq!(h.next_to_finalize(), Some(fin as *mut GcHeader));
        assert_eq!(h.next_to_finalize(), None, "registered once");
        // Resurrected for its finalizer, then freed by the next collection.
        let before = h.object_count();
        h.collect(&mut |m| m.mark_obj(weak));
        assert_eq!(h.object_count(), before - 1);
    }

    #[test]
    fn open_upvalue_closes() {
        let mut h = Heap::new();
        let mut slot = TValue::int(5);
        // SAFETY: `slot` outlives the open phase (closed below before it goes away).
        let u = unsafe { h.new_upval_open(&mut slot) };
        // SAFETY: `u` is a live upvalue; no other reference to it exists.
        let u = unsafe { &mut *u };
        assert!(u.is_open());
        u.set(TValue::int(6));
        assert_eq!(slot, TValue::int(6));
        u.close();
        assert!(!u.is_open());
        slot = TValue::int(7);
        assert_eq!(u.get(), TValue::int(6));
        assert_eq!(slot, TValue::int(7));
    }

    #[test]
    fn threshold_is_seven_quarters_of_live() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        for i in 0..200_000 {
            // SAFETY: `t` is a live table of `h`.
            unsafe { (*t).set_int(i + 1, TValue::int(i)) };
        }
        assert!(h.allocated() > 200_000 * 16);
        assert!(h.should_collect());
        h.collect(&mut |m| m.mark_obj(t));
        assert_eq!(h.threshold(), (h.allocated() / 4 * 7).max(MIN_THRESHOLD));
        assert!(!h.should_collect());
        assert!(h.count_kb() > 3000.0);
        h.collect(&mut |_| {});
        assert!(h.count_kb() < 1.0);
    }

    #[test]
    fn natives_and_userdata_trace() {
        let mut h = Heap::new();
        let s = h.str_value(b"nat-up");
        let n = h.new_native(0x1234, "print", vec![s]);
        let mt = h.new_table(0, 0);
        let ud = h.new_userdata(Box::new(42u32), None);
        // SAFETY: `ud` is live and unshared.
        unsafe { (*ud).meta = mt };
        h.collect(&mut |m| {
            m.mark_value(TValue::native(n));
            m.mark_value(TValue::userdata(ud));
        });
        assert_eq!(h.object_count(), 3);
        assert!(h.is_interned(b"nat-up"));
        // SAFETY: `ud` survived the collection.
        assert_eq!(unsafe { (*ud).payload.downcast_ref::<u32>() }, Some(&42));
    }
}

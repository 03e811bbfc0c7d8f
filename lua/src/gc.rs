//! The heap and its precise, stop-the-world mark-and-sweep collector.
//!
//! Every object begins with a [`GcHeader`]. Non-string objects are chained through
//! `hdr.next` on the heap's object list; strings are owned by the intern table (chained
//! through the same field in their bucket), so sweeping the intern table is how dead strings
//! leave it. Marking is iterative over an explicit gray stack, so object graphs of any depth
//! are safe. Weak tables (`__mode`) and finalizers (`__gc`) are not implemented: every
//! reference is strong and objects are freed without a callback.

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
}

impl GcHeader {
    pub(crate) fn new(kind: u8, next: *mut GcHeader) -> GcHeader {
        GcHeader { next, kind, marked: 0 }
    }
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
}

impl Marker {
    /// Marks the object a value references (no-op for non-objects).
    #[inline]
    pub fn mark_value(&mut self, v: TValue) {
        if v.tag >= T_STR {
            self.gray.push(v.val as *mut GcHeader);
        }
    }
    /// Marks an object (null is ignored). Marking only queues it; the object is read when the
    /// gray stack is drained, inside the collector.
    #[inline]
    pub fn mark_obj<T>(&mut self, p: *mut T) {
        if !p.is_null() {
            self.gray.push(p as *mut GcHeader);
        }
    }

    /// Pops the gray stack until empty, marking and queueing children.
    fn drain(&mut self) {
        while let Some(p) = self.gray.pop() {
            // SAFETY: only pointers to live objects of this heap are ever queued: roots are
            // the caller's contract, children come from live objects' fields.
            unsafe {
                if (*p).marked != 0 {
                    continue;
                }
                (*p).marked = 1;
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
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    pub fn new() -> Heap {
        Heap {
            objects: ptr::null_mut(),
            nobjects: 0,
            strings: StrTable::new(),
            allocated: Box::new(Cell::new(0)),
            threshold: MIN_THRESHOLD,
            pinned: Vec::new(),
            gray: Vec::new(),
        }
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
        let t = Box::new(Table::new(narr, nhash, &*self.allocated));
        let size = t.size();
        self.link(t, size)
    }

    pub fn new_lclosure(&mut self, proto: *mut Opaque, upvals: Vec<*mut UpVal>) -> *mut LClosure {
        let size = std::mem::size_of::<LClosure>() + upvals.capacity() * 8;
        self.link(Box::new(LClosure { hdr: GcHeader::new(K_LCLOSURE, ptr::null_mut()), proto, upvals }), size)
    }

    /// A new open upvalue on `slot`.
    ///
    /// # Safety
    /// `slot` must stay valid for reads and writes until the upvalue is closed.
    pub unsafe fn new_upval_open(&mut self, slot: *mut TValue) -> *mut UpVal {
        self.link(
            Box::new(UpVal { hdr: GcHeader::new(K_UPVAL, ptr::null_mut()), v: slot, closed: TValue::nil() }),
            std::mem::size_of::<UpVal>(),
        )
    }

    /// A new closed upvalue holding `v`.
    pub fn new_upval_closed(&mut self, v: TValue) -> *mut UpVal {
        let u = self.link(
            Box::new(UpVal { hdr: GcHeader::new(K_UPVAL, ptr::null_mut()), v: ptr::null_mut(), closed: v }),
            std::mem::size_of::<UpVal>(),
        );
        // SAFETY: `u` was just allocated and is not shared yet.
        unsafe { (*u).v = &mut (*u).closed };
        u
    }

    pub fn new_native(&mut self, f: usize, name: &'static str, upvals: Vec<TValue>) -> *mut Native {
        let size = std::mem::size_of::<Native>() + upvals.capacity() * 16;
        self.link(Box::new(Native { hdr: GcHeader::new(K_NATIVE, ptr::null_mut()), f, name, upvals }), size)
    }

    pub fn new_userdata(&mut self, payload: Box<dyn Any>, trace: Option<TraceFn>) -> *mut Userdata {
        let size = std::mem::size_of::<Userdata>() + std::mem::size_of_val(&*payload);
        self.link(
            Box::new(Userdata {
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
        self.link(Box::new(Opaque { hdr: GcHeader::new(kind, ptr::null_mut()), payload, trace }), size)
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
    /// they reach; the rest is freed. Then the threshold becomes twice the live size
    /// (Lua's 200% pause), at least `MIN_THRESHOLD`.
    pub fn collect(&mut self, roots: &mut dyn FnMut(&mut Marker)) {
        let mut m = Marker { gray: std::mem::take(&mut self.gray) };
        m.gray.extend_from_slice(&self.pinned);
        m.drain();
        roots(&mut m);
        m.drain();
        self.gray = m.gray;
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
        self.threshold = (live * 2).max(MIN_THRESHOLD);
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
        assert_eq!(h.string_count(), 0);
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
    fn threshold_is_twice_live() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        for i in 0..200_000 {
            // SAFETY: `t` is a live table of `h`.
            unsafe { (*t).set_int(i + 1, TValue::int(i)) };
        }
        assert!(h.allocated() > 200_000 * 16);
        assert!(h.should_collect());
        h.collect(&mut |m| m.mark_obj(t));
        assert_eq!(h.threshold(), (h.allocated() * 2).max(MIN_THRESHOLD));
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

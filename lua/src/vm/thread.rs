//! Threads (coroutines): a VM stack of values and a call stack of frames each.
//!
//! A VM stack is reserved whole at creation and never moves, so frames, open upvalues and
//! the registers a trace holds can point into it. Pages are committed as they are touched;
//! untouched ones read as zero, which is `nil`.

use crate::state::CallInfo;
use crate::value::TValue;

/// Values one thread's stack holds (LUAI_MAXSTACK in Lua 5.4).
pub const STACK_SLOTS: usize = 1_000_000;
/// A coroutine's (smaller: programs make many).
pub const CO_STACK_SLOTS: usize = 100_000;
/// Room kept free above the deepest frame for a native function's results and the
/// metamethod calls of one instruction.
pub const STACK_EXTRA: usize = 64;
/// Lua frames one thread may nest (the C stack's role in lua5.4, LUAI_MAXCCALLS, is played
/// by this count; lua5.4's own limit on Lua calls is the stack size).
pub const MAX_FRAMES: usize = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoStatus {
    /// Created, or stopped in `yield`.
    Suspended,
    Running,
    /// It resumed another coroutine and waits for it.
    Normal,
    Dead,
}

/// A VM stack could not be mapped.
#[derive(Debug)]
pub struct NoStack;

pub struct Thread {
    pub stack: *mut TValue,
    pub stack_len: usize,
    pub ci: CiStack,
    /// Open upvalues, by the stack slot they refer to (ascending).
    pub open: Vec<(*mut TValue, *mut crate::gc::UpVal)>,
    /// One past the last value of a variable-count result list (CALL C=0, VARARG C=0).
    pub top: *mut TValue,
    /// The highest slot ever used (the collector clears above the live part up to here).
    pub used: *mut TValue,
    pub status: CoStatus,
    /// The function a coroutine runs (nil for the main thread).
    pub body: TValue,
    /// The thread that resumed this one.
    pub resumer: *mut Thread,
    /// While suspended in `yield`: where the values passed to the next `resume` go.
    pub yield_ret: *mut TValue,
    pub yield_nresults: i32,
    /// While running: where its `resume` wants the results, and whether that was a
    /// `coroutine.wrap` function (errors propagate, no status flag).
    pub resume_ret: *mut TValue,
    pub resume_nresults: i32,
    pub wrap: bool,
    /// How the resume was called (`Pcall` when straight from pcall).
    pub resume_kind: crate::state::FrameKind,
    pub co_value: TValue,
    /// The error a dead coroutine died of (nil: it returned), for `coroutine.close`.
    pub death: TValue,
    /// To-be-closed variables (stack slots), innermost last.
    pub tbc: Vec<*mut TValue>,
    /// One past the last usable slot, minus the reserve (`limit`), for the CALL fragment.
    pub limit_ptr: *mut TValue,
    /// While a collection runs from a native: where the running frame's live registers end
    /// (null: the live top).
    pub gc_top: *mut TValue,
    /// coroutine.close is running its to-be-closed variables.
    pub closing: bool,
}

impl Thread {
    /// `Err` when the stack cannot be mapped (out of memory).
    pub fn new(body: TValue, slots: usize) -> Result<Box<Thread>, NoStack> {
        let bytes = slots * std::mem::size_of::<TValue>();
        // SAFETY: an anonymous private mapping with no address hint; the result is checked
        // against MAP_FAILED before it is used. MAP_NORESERVE: pages are committed lazily.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(NoStack);
        }
        let stack = p as *mut TValue;
        Ok(Box::new(Thread {
            stack,
            stack_len: slots,
            ci: CiStack::new(),
            limit_ptr: stack.wrapping_add(slots - STACK_EXTRA),
            open: Vec::new(),
            top: stack,
            used: stack,
            status: CoStatus::Suspended,
            body,
            resumer: std::ptr::null_mut(),
            yield_ret: std::ptr::null_mut(),
            yield_nresults: 0,
            resume_ret: std::ptr::null_mut(),
            resume_nresults: 0,
            wrap: false,
            resume_kind: crate::state::FrameKind::Lua,
            co_value: TValue::nil(),
            tbc: Vec::new(),
            gc_top: std::ptr::null_mut(),
            closing: false,
            death: TValue::nil(),
        }))
    }

    /// One past the last usable slot, minus the reserve.
    pub fn limit(&self) -> *mut TValue {
        self.limit_ptr
    }

    /// Notes that slots below `p` are in use.
    pub fn touch(&mut self, p: *mut TValue) {
        if p > self.used {
            self.used = p;
        }
    }

    /// What a collection marks: the live part, or less while `gc_top` is set.
    pub fn mark_top(&self) -> *mut TValue {
        if self.gc_top.is_null() {
            self.live_top()
        } else {
            self.gc_top
        }
    }

    /// The live part of the stack: up to the highest frame top.
    pub fn live_top(&self) -> *mut TValue {
        let mut t = self.top;
        for c in self.ci.iter() {
            if c.top > t {
                t = c.top;
            }
        }
        t
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        // SAFETY: `stack` is the mapping `new` made, of this length, unmapped once.
        unsafe {
            libc::munmap(self.stack as *mut libc::c_void, self.stack_len * std::mem::size_of::<TValue>());
        }
    }
}

/// A thread's call stack: `CallInfo` records in one buffer, innermost last. The CALL and
/// RETURN fragments push and pop `Lua` frames in place (`THREAD_CI_*`) while there is room;
/// growing is a helper's (the buffer may move then, so fragments never keep its address).
#[repr(C)]
pub struct CiStack {
    buf: *mut CallInfo,
    len: usize,
    cap: usize,
}

impl CiStack {
    pub fn new() -> CiStack {
        CiStack { buf: std::ptr::null_mut(), len: 0, cap: 0 }
    }

    pub fn push(&mut self, ci: CallInfo) {
        if self.len == self.cap {
            self.grow();
        }
        // SAFETY: len < cap after growing; the slot is inside the buffer.
        unsafe { self.buf.add(self.len).write(ci) };
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<CallInfo> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the record at len was initialized by a push (or a fragment's).
        Some(unsafe { self.buf.add(self.len).read() })
    }

    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    fn grow(&mut self) {
        // Doubling up to MAX_FRAMES (deeper Lua calls are a stack overflow), and room for the
        // odd frame past it.
        let cap = (self.cap * 2).clamp(16, MAX_FRAMES).max(self.len + 16);
        let mut v: Vec<CallInfo> = Vec::with_capacity(cap);
        // SAFETY: the old buffer holds `len` initialized records; it came from a Vec of
        // capacity `cap` (or is null with cap 0) and is freed once.
        unsafe {
            std::ptr::copy_nonoverlapping(self.buf, v.as_mut_ptr(), self.len);
            if !self.buf.is_null() {
                drop(Vec::from_raw_parts(self.buf, 0, self.cap));
            }
        }
        let mut v = std::mem::ManuallyDrop::new(v);
        self.buf = v.as_mut_ptr();
        self.cap = v.capacity();
    }
}

impl Default for CiStack {
    fn default() -> Self {
        CiStack::new()
    }
}

impl std::ops::Deref for CiStack {
    type Target = [CallInfo];
    fn deref(&self) -> &[CallInfo] {
        if self.buf.is_null() {
            return &[];
        }
        // SAFETY: `len` initialized records at `buf`.
        unsafe { std::slice::from_raw_parts(self.buf, self.len) }
    }
}

impl std::ops::DerefMut for CiStack {
    fn deref_mut(&mut self) -> &mut [CallInfo] {
        if self.buf.is_null() {
            return &mut [];
        }
        // SAFETY: as in `deref`; `&mut self` makes it unique.
        unsafe { std::slice::from_raw_parts_mut(self.buf, self.len) }
    }
}

impl Drop for CiStack {
    fn drop(&mut self) {
        if !self.buf.is_null() {
            // SAFETY: the buffer came from a Vec of this capacity; records are Copy.
            drop(unsafe { Vec::from_raw_parts(self.buf, 0, self.cap) });
        }
    }
}

pub const THREAD_CI_BUF: usize = std::mem::offset_of!(Thread, ci) + std::mem::offset_of!(CiStack, buf);
pub const THREAD_CI_LEN: usize = std::mem::offset_of!(Thread, ci) + std::mem::offset_of!(CiStack, len);
pub const THREAD_CI_CAP: usize = std::mem::offset_of!(Thread, ci) + std::mem::offset_of!(CiStack, cap);
pub const THREAD_USED: usize = std::mem::offset_of!(Thread, used);
pub const THREAD_TOP: usize = std::mem::offset_of!(Thread, top);
pub const THREAD_LIMIT: usize = std::mem::offset_of!(Thread, limit_ptr);

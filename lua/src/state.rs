//! The interpreter state: what the fragments and the native helpers share.
//!
//! `State` starts with the three registers the fragments reload after a helper changed the
//! frame (`pc`, `base`, `k`, at `vm::program::OFF_*`). Everything else is the helpers'
//! business: the heap, the threads (each with its own VM stack and call stack), globals,
//! and the loaded prototypes.
//!
//! Prototypes live as long as the state. Their code and constants are the `imm` memory the
//! trace builder reads, and traces embed their addresses, so they are never freed: an
//! address a trace guards on can never come back as a different function.

use std::collections::HashMap;

use crate::bytecode::{Const, LocalInfo, Proto, UpvalDesc};
use crate::gc::Heap;
use crate::table::Table;
use crate::value::TValue;

/// A hasher for `State::names`' keys (an address and a length): one multiply per word.
#[derive(Default)]
pub struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A prototype as the VM runs it. It starts with a GC header because closures point at it
/// as their `proto` object: the header is marked for good and has no children, so the
/// collector never traces or frees it (prototypes live as long as the state; their
/// constants are pinned).
#[repr(C)]
pub struct FuncProto {
    pub hdr: crate::gc::GcHeader,
    /// What the CALL and RETURN fragments read (`FP_*`; immutable, listed as `imm`): the
    /// code and constants' addresses, and `num_params | is_vararg << 16 | max_stack << 32`.
    pub code_ptr: u64,
    pub k_ptr: u64,
    pub frame: u64,
    pub code: Box<[u64]>,
    /// The constants as values (strings interned and pinned), after one word pair whose
    /// second word is `IC_DELTA` (see `k`).
    k_buf: Box<[TValue]>,
    /// One inline-cache word per instruction, which the table fragments keep (see
    /// `program::IC_*`); only they read and write it.
    pub ic: Box<[std::cell::Cell<u64>]>,
    pub protos: Vec<*const FuncProto>,
    pub upvals: Vec<UpvalDesc>,
    pub upval_names: Vec<String>,
    pub num_params: u16,
    pub is_vararg: bool,
    pub max_stack: u16,
    pub source: String,
    pub line_defined: u32,
    pub lines: Vec<u32>,
    pub locals: Vec<LocalInfo>,
    /// Prelude code: invisible to error positions, as C library functions are.
    pub hidden: bool,
}

/// Where the fragments find an instruction's inline-cache word: at `pc + delta`, with
/// `delta` the 8 bytes just below the constants (so a trace, whose `k` is constant, folds it).
pub const IC_DELTA: i32 = -8;

impl FuncProto {
    /// The constants (`k_ptr` points at the first).
    pub fn k(&self) -> &[TValue] {
        &self.k_buf[1..]
    }

    /// The index of the instruction at address `pc`.
    pub fn index_of(&self, pc: *const u64) -> usize {
        (pc as usize - self.code.as_ptr() as usize) / 8
    }

    pub fn line_at(&self, pc: *const u64) -> u32 {
        let i = self.index_of(pc);
        self.lines.get(i).copied().unwrap_or(self.line_defined)
    }
}

pub const FP_CODE: usize = std::mem::offset_of!(FuncProto, code_ptr);
pub const FP_K: usize = std::mem::offset_of!(FuncProto, k_ptr);
pub const FP_FRAME: usize = std::mem::offset_of!(FuncProto, frame);

/// How a frame's results are delivered when it returns. `repr(u8)` with `Lua` first: the
/// fragments read and write a frame's kind as the byte 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    /// A Lua call from a CALL instruction.
    Lua,
    /// The function `pcall` runs: its results get `true` in front, and an error unwinds to
    /// here.
    Pcall,
    /// The body of a coroutine: returning from it finishes the coroutine.
    CoroutineBody,
    /// The program's main chunk, called by the host.
    Main,
    /// A comparison metamethod: its result's truth decides the jump after the caller's
    /// EQ/LT/LE (taken when it equals `k`).
    Compare { k: bool },
    /// A `__concat` call in the middle of a CONCAT of `n` values from register `a`: its
    /// result replaces the last two, and the CONCAT goes on with one value fewer.
    Concat { a: u16, n: u16 },
    /// A `__close` call during CLOSE or RETURN: when it returns, the instruction runs again
    /// (with one fewer variable to close). The call's result slot marks the top the
    /// instruction had (a RETURN of a variable count counts its values up to it).
    Close,
    /// A `__close(v, err)` call while an error unwinds to a catching frame: when it returns,
    /// the next variable is closed with the error, which sits in the call's result slot.
    CloseErr,
    /// An xpcall message handler: its first result becomes the error value delivered to the
    /// xpcall frame below (false, value).
    Handler,
}

/// One frame of a thread's call stack. The layout is the fragments' too (`CI_*`): the
/// CALL fragment pushes a `Lua` frame with plain stores, RETURN pops one.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct CallInfo {
    /// The function's slot; its arguments follow it.
    pub func: *mut TValue,
    /// R[0].
    pub base: *mut TValue,
    /// One past the frame's last register.
    pub top: *mut TValue,
    /// Where the frame is: while it runs, the instruction a helper is running; while it
    /// waits for a callee, its CALL.
    pub pc: *const u64,
    pub proto: *const FuncProto,
    /// Where the results go, and how many the caller wants (-1: all).
    pub ret: *mut TValue,
    pub nresults: i32,
    /// Extra arguments of a vararg function (they sit below `func`).
    pub nvarargs: u32,
    pub kind: FrameKind,
    /// The handler is running: an error now is an error in error handling.
    pub handling: bool,
    /// For a `Pcall` frame: how many pcall/xpcall levels called it straight
    /// (`pcall(pcall, f)`: 2); each puts its flag in front of the results.
    pub pcall_levels: u8,
    /// The xpcall message handler, for `Pcall` frames made by xpcall.
    pub handler: TValue,
}

impl CallInfo {
    /// A frame of no function at `func` (its registers end at `top`): what the host puts
    /// below a main chunk, and what a dead coroutine closes its variables from.
    pub fn bottom(func: *mut TValue, top: *mut TValue, kind: FrameKind) -> CallInfo {
        CallInfo {
            func,
            base: func,
            top,
            pc: std::ptr::null(),
            proto: std::ptr::null(),
            ret: func,
            nresults: 0,
            nvarargs: 0,
            kind,
            handling: false,
            pcall_levels: 0,
            handler: TValue::nil(),
        }
    }
}

pub const CI_FUNC: usize = std::mem::offset_of!(CallInfo, func);
pub const CI_BASE: usize = std::mem::offset_of!(CallInfo, base);
pub const CI_TOP: usize = std::mem::offset_of!(CallInfo, top);
pub const CI_PC: usize = std::mem::offset_of!(CallInfo, pc);
pub const CI_PROTO: usize = std::mem::offset_of!(CallInfo, proto);
pub const CI_RET: usize = std::mem::offset_of!(CallInfo, ret);
/// `nresults` (low half) and `nvarargs` (high half) as one word.
pub const CI_NRESULTS: usize = std::mem::offset_of!(CallInfo, nresults);
/// `kind`, `handling` and `pcall_levels` as one word: 0 for a plain Lua frame.
pub const CI_KIND: usize = std::mem::offset_of!(CallInfo, kind);
pub const CI_HANDLER: usize = std::mem::offset_of!(CallInfo, handler);
pub const CI_SIZE: usize = std::mem::size_of::<CallInfo>();
const _: () = {
    assert!(std::mem::offset_of!(CallInfo, nvarargs) == CI_NRESULTS + 4);
    assert!(CI_HANDLER == CI_KIND + 8);
    assert!(std::mem::size_of::<FrameKind>() <= 6);
    assert!(std::mem::offset_of!(CallInfo, pcall_levels) < CI_HANDLER);
};

/// Registers the fragments read (must stay first in `State`; see `vm::program::OFF_*`).
#[repr(C)]
pub struct Regs {
    pub pc: u64,
    pub base: u64,
    pub k: u64,
}

/// A Lua error in flight: the value raised, plus where the host should deliver it.
#[derive(Clone, Copy, Debug)]
pub struct LuaError(pub TValue);

pub type LResult<T> = Result<T, LuaError>;

/// Why the interpreter left to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostReason {
    None,
    /// An error to unwind (`State::error`).
    Error,
    /// The main chunk returned.
    Finished,
    /// `os.exit`.
    Exit(i32),
}

#[repr(C)]
pub struct State {
    pub regs: Regs,
    pub heap: Heap,
    pub globals: *mut Table,
    pub registry: *mut Table,
    /// The metatable of strings (`string` as `__index`).
    pub string_meta: *mut Table,
    pub thread: *mut crate::vm::thread::Thread,
    pub main_thread: *mut crate::vm::thread::Thread,
    pub main_value: TValue,
    pub error: TValue,
    pub host: HostReason,
    /// A native function's results, before they are copied into place.
    pub rets: Vec<TValue>,
    pub protos: Vec<Box<FuncProto>>,
    /// Interned names the VM uses (metamethod keys and the like), by the address and length
    /// of the literal: a metamethod lookup asks for its name every time, and hashing the
    /// bytes with SipHash cost richards an eighth of its time.
    pub names: HashMap<(usize, usize), TValue, std::hash::BuildHasherDefault<AddrHasher>>,
    /// The script's folder, for `require`.
    pub script_dir: String,
    /// Code and constants (base, length), sorted by address, for the trace builder: what it
    /// may read at build time (`ImmView`).
    pub imm: Vec<(u64, u64)>,
    /// Buffered standard output (`print`, `io.write`), flushed when large, before anything
    /// goes to stderr, and at exit.
    pub out: Vec<u8>,
    /// Set by pcall just before it calls its function, so that a native called that way
    /// knows its caller is not Lua code (`native_c_caller` while it runs).
    pub c_caller: bool,
    pub native_c_caller: bool,
    /// A native function is running (set around its call). An error raised while none is
    /// and the top frame is prelude code is raised by that code's own instructions, which
    /// lua5.4 would run in C: no position and no variable name (`error::in_hidden_code`).
    pub in_native: bool,
    /// Set by a native that hands its call on to a Lua function (one that must call
    /// metamethods or callbacks, which a native cannot): the call machinery calls it next,
    /// with the same arguments, for the same results.
    pub handoff: TValue,
    /// The interned "__index", for the SELF fragment's method lookup through a metatable.
    pub index_key: u64,
    /// The interned "__newindex", for the SETTABLE fragment's write into a nil field.
    pub newindex_key: u64,
    /// The native function being called (its upvalues are its state).
    pub current_native: TValue,
    /// `math.random`'s generator.
    pub rng: crate::number::Rng,
    /// The file handles' metatable and the standard streams.
    pub file_meta: *mut Table,
    pub stdout_value: TValue,
    pub stdin_value: TValue,
    /// The script's arguments (`...` of the main chunk).
    pub script_args: Vec<Vec<u8>>,
}

impl State {
    pub fn write_out(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
        if self.out.len() >= 1 << 16 {
            self.flush_out();
        }
    }

    pub fn flush_out(&mut self) {
        use std::io::Write;
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(&self.out);
        let _ = so.flush();
        self.out.clear();
    }
}

impl State {
    /// Converts a front-end prototype tree into VM prototypes (kept for the state's life).
    pub fn load_proto(&mut self, p: &Proto) -> *const FuncProto {
        let protos: Vec<*const FuncProto> = p.protos.iter().map(|c| self.load_proto(c)).collect();
        let k: Vec<TValue> = std::iter::once(&Const::Nil)
            .chain(&p.consts)
            .map(|c| match c {
                Const::Nil => TValue::nil(),
                Const::Bool(b) => TValue::boolean(*b),
                Const::Int(i) => TValue::int(*i),
                Const::Float(f) => TValue::float(*f),
                Const::Str(s) => {
                    let v = self.heap.str_value(s);
                    self.heap.pin(v.val as *mut crate::string::LuaStr);
                    v
                }
            })
            .collect();
        let max_stack = p.max_stack.max(2);
        let mut fp = Box::new(FuncProto {
            hdr: crate::gc::GcHeader {
                next: std::ptr::null_mut(),
                kind: crate::gc::K_STR,
                marked: 1,
                flags: 0,
            },
            code_ptr: 0,
            k_ptr: 0,
            frame: p.num_params as u64 | (p.is_vararg as u64) << 16 | (max_stack as u64) << 32,
            code: p.code.iter().map(|i| i.0).collect(),
            k_buf: k.into_boxed_slice(),
            ic: (0..p.code.len()).map(|_| std::cell::Cell::new(0)).collect(),
            protos,
            upvals: p.upvals.clone(),
            upval_names: p.upval_names.clone(),
            num_params: p.num_params,
            is_vararg: p.is_vararg,
            max_stack,
            source: p.source.clone(),
            line_defined: p.line_defined,
            lines: p.lines.clone(),
            locals: p.locals.clone(),
            hidden: p.source == "prelude",
        });
        fp.code_ptr = fp.code.as_ptr() as u64;
        fp.k_ptr = fp.k_buf[1..].as_ptr() as u64;
        fp.k_buf[0].val = (fp.ic.as_ptr() as u64).wrapping_sub(fp.code_ptr);
        let head = &*fp as *const FuncProto as u64;
        self.add_imm(head + FP_CODE as u64, 24);
        self.add_imm(fp.code.as_ptr() as u64, fp.code.len() as u64 * 8);
        self.add_imm(fp.k_buf.as_ptr() as u64, fp.k_buf.len() as u64 * 16);
        let ptr = &*fp as *const FuncProto;
        self.protos.push(fp);
        ptr
    }

    /// Lists `len` bytes at `base` as immutable, keeping `imm` sorted by address.
    fn add_imm(&mut self, base: u64, len: u64) {
        let at = self.imm.partition_point(|&(b, _)| b < base);
        self.imm.insert(at, (base, len));
    }

    /// An interned string as a value.
    pub fn str(&mut self, s: &str) -> TValue {
        self.heap.str_value(s.as_bytes())
    }

    /// A name the VM uses often, interned once and kept.
    pub fn name(&mut self, s: &'static str) -> TValue {
        let key = (s.as_ptr() as usize, s.len());
        if let Some(v) = self.names.get(&key) {
            return *v;
        }
        let v = self.heap.str_value(s.as_bytes());
        self.heap.pin(v.val as *mut crate::string::LuaStr);
        self.names.insert(key, v);
        v
    }
}

/// The trace builder's view of `imm` memory: code and constants of every prototype.
pub struct ImmView<'a>(pub &'a [(u64, u64)]);

impl tracery_runtime::build::ImmMemory for ImmView<'_> {
    fn read(&self, addr: u64, size: usize) -> Option<u64> {
        // The regions are sorted and disjoint: only the last one starting at or below
        // `addr` can hold it (the builder asks for every load at a constant address).
        let at = self.0.partition_point(|&(b, _)| b <= addr);
        if let Some(&(base, len)) = at.checked_sub(1).and_then(|i| self.0.get(i)) {
            if addr + size as u64 <= base + len {
                let mut b = [0u8; 8];
                // SAFETY: [addr, addr + size) lies inside a prototype's code or constant
                // array, which the state owns and never frees or changes.
                unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, b.as_mut_ptr(), size) };
                return Some(u64::from_le_bytes(b));
            }
        }
        None
    }
}

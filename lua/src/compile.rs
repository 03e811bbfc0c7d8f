//! AST -> `bytecode::Proto`, following lcode.c/lparser.c so that register use, jump shapes
//! and debug info look like lua5.4's.
//!
//! Conventions this compiler relies on that `bytecode.rs` leaves open (the VM must agree):
//! - Jumps: every sBx is relative to the next instruction (`pc + 1 + sBx`). FORPREP's sBx
//!   points at its FORLOOP (the VM skips one more when the loop does not run); TFORPREP's
//!   at its TFORCALL; FORLOOP's and TFORLOOP's at the first instruction of the body
//!   (FORPREP/TFORPREP + 1).
//! - RETURN and TAILCALL carry `k` when the function has captured locals or to-be-closed
//!   variables (close upvalues and tbc variables >= R[0] first, as 5.4's OP_RETURN k); a VM
//!   may also close unconditionally. In a vararg function their C is `num_params + 1`, as
//!   in 5.4. `return f(x)` is TAILCALL followed by a RETURN A B=0 that a VM never reaches
//!   unless its TAILCALL falls back to a plain call.
//! - GETTABUP's C and SETTABUP's B always name string constants (no kB/kC flag is set for
//!   them). Any other RK operand that names a constant has its kB/kC flag set.
//! - EQ/LT/LE leave A = 0. TEST uses A and k; TESTSET uses A, B and k.
//! - Where 5.4 has OP_LFALSESKIP this emits LOADFALSE; JMP +1; LOADTRUE.
//! - NEWTABLE's B and C are plain counts (array items, hash items).
//! - SETLIST flushes every 50 items (LFIELDS_PER_FLUSH) with C = items already stored.
//! - LOADNIL's B is the count minus one; CONCAT's B the number of values.
//! - TFORCALL's C is the number of user loop variables; its call frame is R[A+4..A+7]
//!   (max_stack counts those 3 extra registers, as 5.4's forlist does).
//! - Lines: a CALL carries the line where its suffixed expression starts (lua5.4's
//!   funcargs); arithmetic, unary, CONCAT and comparisons carry the operator's line; a
//!   store of an assignment the line of its last token; FORLOOP the `for` line;
//!   TFORCALL/TFORLOOP the line of the first token after `in`; CLOSURE the line of
//!   the function's `end`; a `function` statement's store its `function` line.
//! - `locals` lists "(for state)" internal variables as lua5.4 does; compile-time
//!   constants (`local x <const> = 1`) get no register and no entry.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::ast::*;
use crate::bytecode::*;
pub use crate::lex::{chunk_display_name, SyntaxError};

const NO_JUMP: i32 = -1;
const NO_REG: u16 = u16::MAX;
/// lua5.4's register limit (MAXREGS), kept so frames have the same sizes.
const MAXREGS: u32 = 255;
const MAXUPVAL: usize = 255;
/// The largest constant index an RK operand (a 16-bit field) can name.
const MAX_RK: u32 = u16::MAX as u32;
const LFIELDS_PER_FLUSH: u32 = 50;
const MULTRET: i32 = -1;

/// Compiles a chunk. `chunkname` is the name as messages show it (see
/// `chunk_display_name`): `t.lua`, or `[string "..."]`.
pub fn compile(source: &[u8], chunkname: &str) -> Result<Proto, SyntaxError> {
    let main = crate::parse::parse_chunk(source, chunkname)?;
    let mut c = Compiler { fs: Vec::new(), chunk: chunkname.to_string() };
    c.main(&main)
}

#[derive(Clone, Debug, PartialEq)]
enum EK {
    Void,
    Nil,
    True,
    False,
    KInt(i64),
    KFlt(f64),
    KStr(Vec<u8>),
    /// constant index
    K(u32),
    NonReloc(u16),
    /// register, variable index
    Local(u16, usize),
    Upval(u16),
    /// a compile-time constant variable: its value and name
    Ctc(Box<EK>, String),
    /// upvalue table, string constant key
    IndexUp(u16, u32),
    /// table register, key (register or constant), key is a constant
    Indexed(u16, u16, bool),
    /// table register, integer key
    IndexI(u16, u16),
    Jmp(usize),
    Reloc(usize),
    Call(usize),
    Vararg(usize),
}

#[derive(Clone, Debug)]
struct E {
    k: EK,
    t: i32,
    f: i32,
}

impl E {
    fn new(k: EK) -> E {
        E { k, t: NO_JUMP, f: NO_JUMP }
    }
    fn has_jumps(&self) -> bool {
        self.t != self.f
    }
    fn is_multi(&self) -> bool {
        matches!(self.k, EK::Call(_) | EK::Vararg(_))
    }
    fn reg(&self) -> u16 {
        match self.k {
            EK::NonReloc(r) => r,
            _ => panic!("expression not in a register: {:?}", self.k),
        }
    }
    fn pc(&self) -> usize {
        match self.k {
            EK::Jmp(p) | EK::Reloc(p) | EK::Call(p) | EK::Vararg(p) => p,
            _ => panic!("expression has no instruction: {:?}", self.k),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum VarKind {
    Reg,
    Const,
    Close,
    Ctc(EK),
}

#[derive(Clone, Debug)]
struct VarDesc {
    name: String,
    kind: VarKind,
    ridx: u16,
    pidx: usize,
}

#[derive(Clone, Debug)]
struct LabelDesc {
    name: String,
    /// label: its pc; goto: its jump list
    pc: i32,
    line: u32,
    nactvar: usize,
    close: bool,
    /// A pending goto's register level, saved when its block is left.
    level: u32,
}

#[derive(Clone, Debug)]
struct BlockCnt {
    nactvar: usize,
    firstlabel: usize,
    firstgoto: usize,
    upval: bool,
    isloop: bool,
    insidetbc: bool,
}

#[derive(Hash, PartialEq, Eq)]
enum KKey {
    Nil,
    Bool(bool),
    Int(i64),
    Flt(u64),
    Str(Vec<u8>),
}

struct FuncState {
    f: Proto,
    chunk: String,
    actvar: Vec<VarDesc>,
    nactvar: usize,
    blocks: Vec<BlockCnt>,
    labels: Vec<LabelDesc>,
    gotos: Vec<LabelDesc>,
    freereg: u32,
    lasttarget: usize,
    kcache: HashMap<KKey, u32>,
    needclose: bool,
    upval_ro: Vec<bool>,
    /// The line new instructions get.
    line: u32,
}

type R<T> = Result<T, SyntaxError>;

fn set_a(i: &mut Ins, a: u16) {
    i.0 = (i.0 & !(0xffffu64 << 8)) | ((a as u64) << 8);
}
fn set_b(i: &mut Ins, b: u16) {
    i.0 = (i.0 & !(0xffffu64 << 24)) | ((b as u64) << 24);
}
fn set_c(i: &mut Ins, c: u16) {
    i.0 = (i.0 & !(0xffffu64 << 40)) | ((c as u64) << 40);
}
fn set_k(i: &mut Ins, k: bool) {
    if k {
        i.0 |= K;
    } else {
        i.0 &= !K;
    }
}
fn set_op(i: &mut Ins, op: Op) {
    i.0 = (i.0 & !0xff) | op as u64;
}

fn is_test_op(op: Op) -> bool {
    matches!(op, Op::Eq | Op::Lt | Op::Le | Op::Test | Op::TestSet)
}

impl FuncState {
    fn new(chunk: &str, line: u32, is_vararg: bool) -> FuncState {
        FuncState {
            f: Proto {
                source: chunk.to_string(),
                line_defined: line,
                is_vararg,
                max_stack: 2,
                ..Default::default()
            },
            chunk: chunk.to_string(),
            actvar: Vec::new(),
            nactvar: 0,
            blocks: Vec::new(),
            labels: Vec::new(),
            gotos: Vec::new(),
            freereg: 0,
            lasttarget: 0,
            kcache: HashMap::new(),
            needclose: false,
            upval_ro: Vec::new(),
            line,
        }
    }

    fn error(&self, msg: &str) -> SyntaxError {
        SyntaxError { msg: format!("{}:{}: {}", self.chunk, self.line, msg) }
    }

    fn sem_error(&self, msg: &str, line: u32) -> SyntaxError {
        SyntaxError { msg: format!("{}:{}: {}", self.chunk, line, msg) }
    }

    fn pc(&self) -> usize {
        self.f.code.len()
    }

    fn code(&mut self, i: Ins) -> usize {
        self.f.code.push(i);
        self.f.lines.push(self.line);
        self.f.code.len() - 1
    }
    fn abc(&mut self, op: Op, a: u16, b: u16, c: u16) -> usize {
        self.code(Ins::abc(op, a, b, c))
    }
    fn abx(&mut self, op: Op, a: u16, bx: u32) -> usize {
        self.code(Ins::abx(op, a, bx))
    }
    fn fixline(&mut self, line: u32) {
        if let Some(l) = self.f.lines.last_mut() {
            *l = line;
        }
    }

    // ---- registers ----

    fn reglevel(&self, nvar: usize) -> u32 {
        for v in self.actvar[..nvar].iter().rev() {
            if !matches!(v.kind, VarKind::Ctc(_)) {
                return v.ridx as u32 + 1;
            }
        }
        0
    }
    fn nvarstack(&self) -> u32 {
        self.reglevel(self.nactvar)
    }
    fn checkstack(&mut self, n: u32) -> R<()> {
        let newstack = self.freereg + n;
        if newstack > self.f.max_stack as u32 {
            if newstack >= MAXREGS {
                return Err(self.error("function or expression needs too many registers"));
            }
            self.f.max_stack = newstack as u16;
        }
        Ok(())
    }
    fn reserveregs(&mut self, n: u32) -> R<()> {
        self.checkstack(n)?;
        self.freereg += n;
        Ok(())
    }
    fn freereg(&mut self, reg: u16) {
        if reg as u32 >= self.nvarstack() {
            self.freereg -= 1;
            debug_assert_eq!(reg as u32, self.freereg, "registers freed out of order");
        }
    }
    fn freeregs(&mut self, r1: u16, r2: u16) {
        if r1 > r2 {
            self.freereg(r1);
            self.freereg(r2);
        } else {
            self.freereg(r2);
            self.freereg(r1);
        }
    }
    fn freeexp(&mut self, e: &E) {
        if let EK::NonReloc(r) = e.k {
            self.freereg(r);
        }
    }
    fn freeexps(&mut self, e1: &E, e2: &E) {
        let r1 = if let EK::NonReloc(r) = e1.k { r as i32 } else { -1 };
        let r2 = if let EK::NonReloc(r) = e2.k { r as i32 } else { -1 };
        let free = |fs: &mut FuncState, r: i32| {
            if r >= 0 {
                fs.freereg(r as u16)
            }
        };
        if r1 > r2 {
            free(self, r1);
            free(self, r2);
        } else {
            free(self, r2);
            free(self, r1);
        }
    }

    // ---- constants ----

    fn add_k(&mut self, c: Const) -> u32 {
        let key = match &c {
            Const::Nil => KKey::Nil,
            Const::Bool(b) => KKey::Bool(*b),
            Const::Int(i) => KKey::Int(*i),
            Const::Float(f) => KKey::Flt(f.to_bits()),
            Const::Str(s) => KKey::Str(s.clone()),
        };
        if let Some(&i) = self.kcache.get(&key) {
            return i;
        }
        let i = self.f.consts.len() as u32;
        self.f.consts.push(c);
        self.kcache.insert(key, i);
        i
    }

    fn str2k(&mut self, e: &mut E) {
        if let EK::KStr(s) = &e.k {
            let s = s.clone();
            e.k = EK::K(self.add_k(Const::Str(s)));
        }
    }

    fn is_kstr(&self, e: &E) -> bool {
        matches!(e.k, EK::K(i) if i <= MAX_RK && !e.has_jumps()
            && matches!(self.f.consts[i as usize], Const::Str(_)))
    }

    /// Makes `e` a K expression if it is a constant that an RK operand can name.
    fn exp2k(&mut self, e: &mut E) -> bool {
        if e.has_jumps() {
            return false;
        }
        let info = match &e.k {
            EK::True => self.add_k(Const::Bool(true)),
            EK::False => self.add_k(Const::Bool(false)),
            EK::Nil => self.add_k(Const::Nil),
            EK::KInt(i) => self.add_k(Const::Int(*i)),
            EK::KFlt(f) => self.add_k(Const::Float(*f)),
            EK::KStr(s) => {
                let s = s.clone();
                self.add_k(Const::Str(s))
            }
            EK::K(i) => *i,
            _ => return false,
        };
        if info <= MAX_RK {
            e.k = EK::K(info);
            true
        } else {
            false
        }
    }

    /// An RK operand: (field, is a constant).
    fn exp2rk(&mut self, e: &mut E) -> R<(u16, bool)> {
        if self.exp2k(e) {
            if let EK::K(i) = e.k {
                return Ok((i as u16, true));
            }
        }
        Ok((self.exp2anyreg(e)?, false))
    }

    // ---- jumps ----

    fn get_jump(&self, pc: usize) -> i32 {
        let off = self.f.code[pc].sbx();
        if off == NO_JUMP {
            NO_JUMP
        } else {
            pc as i32 + 1 + off
        }
    }
    fn fix_jump(&mut self, pc: usize, dest: i32) {
        let off = dest - (pc as i32 + 1);
        self.f.code[pc].set_sbx(off);
    }
    fn concat(&mut self, l1: &mut i32, l2: i32) {
        if l2 == NO_JUMP {
            return;
        }
        if *l1 == NO_JUMP {
            *l1 = l2;
            return;
        }
        let mut list = *l1 as usize;
        loop {
            let next = self.get_jump(list);
            if next == NO_JUMP {
                break;
            }
            list = next as usize;
        }
        self.fix_jump(list, l2);
    }
    fn jump(&mut self) -> i32 {
        self.code(Ins::asbx(Op::Jmp, 0, NO_JUMP)) as i32
    }
    fn get_label(&mut self) -> i32 {
        self.lasttarget = self.pc();
        self.pc() as i32
    }
    fn get_jump_control(&mut self, pc: usize) -> usize {
        if pc >= 1 && is_test_op(self.f.code[pc - 1].op()) {
            pc - 1
        } else {
            pc
        }
    }
    fn patch_test_reg(&mut self, node: usize, reg: u16) -> bool {
        let ci = self.get_jump_control(node);
        let i = self.f.code[ci];
        if i.op() != Op::TestSet {
            return false;
        }
        if reg != NO_REG && reg != i.b() {
            set_a(&mut self.f.code[ci], reg);
        } else {
            self.f.code[ci] = Ins::abc(Op::Test, i.b(), 0, 0).with(i.0 & K);
        }
        true
    }
    fn remove_values(&mut self, mut list: i32) {
        while list != NO_JUMP {
            self.patch_test_reg(list as usize, NO_REG);
            list = self.get_jump(list as usize);
        }
    }
    fn patch_list_aux(&mut self, mut list: i32, vtarget: i32, reg: u16, dtarget: i32) {
        while list != NO_JUMP {
            let next = self.get_jump(list as usize);
            if self.patch_test_reg(list as usize, reg) {
                self.fix_jump(list as usize, vtarget);
            } else {
                self.fix_jump(list as usize, dtarget);
            }
            list = next;
        }
    }
    fn patch_list(&mut self, list: i32, target: i32) {
        self.patch_list_aux(list, target, NO_REG, target);
    }
    fn patch_to_here(&mut self, list: i32) {
        let hr = self.get_label();
        self.patch_list(list, hr);
    }
    fn need_value(&mut self, mut list: i32) -> bool {
        while list != NO_JUMP {
            let c = self.get_jump_control(list as usize);
            if self.f.code[c].op() != Op::TestSet {
                return true;
            }
            list = self.get_jump(list as usize);
        }
        false
    }
    fn cond_jump(&mut self, ins: Ins) -> i32 {
        self.code(ins);
        self.jump()
    }

    // ---- loads ----

    fn previous_instruction(&mut self) -> Option<&mut Ins> {
        if self.pc() > self.lasttarget {
            self.f.code.last_mut()
        } else {
            None
        }
    }

    fn nil(&mut self, from: u16, n: u16) {
        let mut from = from as u32;
        let mut l = from + n as u32 - 1;
        if let Some(prev) = self.previous_instruction() {
            if prev.op() == Op::LoadNil {
                let pfrom = prev.a() as u32;
                let pl = pfrom + prev.b() as u32;
                if (pfrom <= from && from <= pl + 1) || (from <= pfrom && pfrom <= l + 1) {
                    from = from.min(pfrom);
                    l = l.max(pl);
                    set_a(prev, from as u16);
                    set_b(prev, (l - from) as u16);
                    return;
                }
            }
        }
        self.abc(Op::LoadNil, from as u16, n - 1, 0);
    }

    fn load_int(&mut self, reg: u16, i: i64) {
        if i >= i32::MIN as i64 && i <= i32::MAX as i64 {
            self.code(Ins::asbx(Op::LoadI, reg, i as i32));
        } else {
            let k = self.add_k(Const::Int(i));
            self.abx(Op::LoadK, reg, k);
        }
    }

    // ---- expressions ----

    fn set_returns(&mut self, e: &mut E, nresults: i32) -> R<()> {
        match e.k {
            EK::Call(pc) => set_c(&mut self.f.code[pc], (nresults + 1) as u16),
            EK::Vararg(pc) => {
                set_c(&mut self.f.code[pc], (nresults + 1) as u16);
                let fr = self.freereg as u16;
                set_a(&mut self.f.code[pc], fr);
                self.reserveregs(1)?;
            }
            _ => {}
        }
        Ok(())
    }
    fn set_one_ret(&mut self, e: &mut E) {
        match e.k {
            EK::Call(pc) => e.k = EK::NonReloc(self.f.code[pc].a()),
            EK::Vararg(pc) => {
                set_c(&mut self.f.code[pc], 2);
                e.k = EK::Reloc(pc);
            }
            _ => {}
        }
    }

    fn discharge_vars(&mut self, e: &mut E) {
        match e.k.clone() {
            EK::Ctc(v, _) => e.k = *v,
            EK::Local(r, _) => e.k = EK::NonReloc(r),
            EK::Upval(u) => e.k = EK::Reloc(self.abc(Op::GetUpval, 0, u, 0)),
            EK::IndexUp(u, k) => e.k = EK::Reloc(self.abc(Op::GetTabUp, 0, u, k as u16)),
            EK::IndexI(t, i) => {
                self.freereg(t);
                e.k = EK::Reloc(self.abc(Op::GetI, 0, t, i));
            }
            EK::Indexed(t, key, isk) => {
                if isk {
                    self.freereg(t);
                    e.k = EK::Reloc(self.code(Ins::abc(Op::GetTable, 0, t, key).with(KC)));
                } else {
                    self.freeregs(t, key);
                    e.k = EK::Reloc(self.abc(Op::GetTable, 0, t, key));
                }
            }
            EK::Call(_) | EK::Vararg(_) => self.set_one_ret(e),
            _ => {}
        }
    }

    fn discharge2reg(&mut self, e: &mut E, reg: u16) {
        self.discharge_vars(e);
        match e.k.clone() {
            EK::Nil => self.nil(reg, 1),
            EK::False => {
                self.abc(Op::LoadFalse, reg, 0, 0);
            }
            EK::True => {
                self.abc(Op::LoadTrue, reg, 0, 0);
            }
            EK::KStr(s) => {
                let k = self.add_k(Const::Str(s));
                self.abx(Op::LoadK, reg, k);
            }
            EK::K(k) => {
                self.abx(Op::LoadK, reg, k);
            }
            EK::KFlt(f) => {
                let k = self.add_k(Const::Float(f));
                self.abx(Op::LoadK, reg, k);
            }
            EK::KInt(i) => self.load_int(reg, i),
            EK::Reloc(pc) => set_a(&mut self.f.code[pc], reg),
            EK::NonReloc(r) => {
                if r != reg {
                    self.abc(Op::Move, reg, r, 0);
                }
            }
            EK::Jmp(_) => return,
            k => panic!("discharge2reg: {:?}", k),
        }
        e.k = EK::NonReloc(reg);
    }

    fn discharge2anyreg(&mut self, e: &mut E) -> R<()> {
        if !matches!(e.k, EK::NonReloc(_)) {
            self.reserveregs(1)?;
            let r = (self.freereg - 1) as u16;
            self.discharge2reg(e, r);
        }
        Ok(())
    }

    fn exp2reg(&mut self, e: &mut E, reg: u16) {
        self.discharge2reg(e, reg);
        if let EK::Jmp(pc) = e.k {
            let mut t = e.t;
            self.concat(&mut t, pc as i32);
            e.t = t;
        }
        if e.has_jumps() {
            let mut p_f = NO_JUMP;
            let mut p_t = NO_JUMP;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, EK::Jmp(_)) { NO_JUMP } else { self.jump() };
                p_f = self.abc(Op::LoadFalse, reg, 0, 0) as i32;
                self.code(Ins::asbx(Op::Jmp, 0, 1));
                p_t = self.abc(Op::LoadTrue, reg, 0, 0) as i32;
                self.patch_to_here(fj);
            }
            let fin = self.get_label();
            self.patch_list_aux(e.f, fin, reg, p_f);
            self.patch_list_aux(e.t, fin, reg, p_t);
        }
        e.f = NO_JUMP;
        e.t = NO_JUMP;
        e.k = EK::NonReloc(reg);
    }

    fn exp2nextreg(&mut self, e: &mut E) -> R<()> {
        self.discharge_vars(e);
        self.freeexp(e);
        self.reserveregs(1)?;
        let r = (self.freereg - 1) as u16;
        self.exp2reg(e, r);
        Ok(())
    }

    fn exp2anyreg(&mut self, e: &mut E) -> R<u16> {
        self.discharge_vars(e);
        if let EK::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return Ok(r);
            }
            if r as u32 >= self.nvarstack() {
                self.exp2reg(e, r);
                return Ok(r);
            }
        }
        self.exp2nextreg(e)?;
        Ok(e.reg())
    }

    fn exp2anyregup(&mut self, e: &mut E) -> R<()> {
        if !matches!(e.k, EK::Upval(_)) || e.has_jumps() {
            self.exp2anyreg(e)?;
        }
        Ok(())
    }

    fn exp2val(&mut self, e: &mut E) -> R<()> {
        if e.has_jumps() {
            self.exp2anyreg(e)?;
        } else {
            self.discharge_vars(e);
        }
        Ok(())
    }

    fn store_var(&mut self, var: &E, ex: &mut E) -> R<()> {
        match var.k {
            EK::Local(r, _) => {
                self.freeexp(ex);
                self.exp2reg(ex, r);
                return Ok(());
            }
            EK::Upval(u) => {
                let r = self.exp2anyreg(ex)?;
                self.abc(Op::SetUpval, r, u, 0);
            }
            EK::IndexUp(u, k) => {
                let (c, kc) = self.exp2rk(ex)?;
                let i = Ins::abc(Op::SetTabUp, u, k as u16, c);
                self.code(if kc { i.with(KC) } else { i });
            }
            EK::IndexI(t, idx) => {
                let (c, kc) = self.exp2rk(ex)?;
                let i = Ins::abc(Op::SetI, t, idx, c);
                self.code(if kc { i.with(KC) } else { i });
            }
            EK::Indexed(t, key, isk) => {
                let (c, kc) = self.exp2rk(ex)?;
                let mut i = Ins::abc(Op::SetTable, t, key, c);
                if isk {
                    i = i.with(KB);
                }
                if kc {
                    i = i.with(KC);
                }
                self.code(i);
            }
            ref k => panic!("store_var: {:?}", k),
        }
        self.freeexp(ex);
        Ok(())
    }

    fn self_op(&mut self, e: &mut E, key: &mut E) -> R<()> {
        self.exp2anyreg(e)?;
        let ereg = e.reg();
        self.freeexp(e);
        let base = self.freereg as u16;
        e.k = EK::NonReloc(base);
        self.reserveregs(2)?;
        let (c, kc) = self.exp2rk(key)?;
        let i = Ins::abc(Op::SelfOp, base, ereg, c);
        self.code(if kc { i.with(KC) } else { i });
        self.freeexp(key);
        Ok(())
    }

    fn indexed(&mut self, t: &mut E, k: &mut E) -> R<()> {
        if matches!(k.k, EK::KStr(_)) {
            self.str2k(k);
        }
        if matches!(t.k, EK::Upval(_)) && !self.is_kstr(k) {
            self.exp2anyreg(t)?;
        }
        if let EK::Upval(u) = t.k {
            if let EK::K(ki) = k.k {
                t.k = EK::IndexUp(u, ki);
                return Ok(());
            }
        }
        let treg = match t.k {
            EK::Local(r, _) | EK::NonReloc(r) => r,
            ref x => panic!("indexed: table {:?}", x),
        };
        if self.is_kstr(k) {
            if let EK::K(ki) = k.k {
                t.k = EK::Indexed(treg, ki as u16, true);
            }
        } else if let (EK::KInt(i), false) = (&k.k, k.has_jumps()) {
            if (0..=u16::MAX as i64).contains(i) {
                t.k = EK::IndexI(treg, *i as u16);
                return Ok(());
            }
            let (r, isk) = self.exp2rk(k)?;
            t.k = EK::Indexed(treg, r, isk);
        } else {
            let (r, isk) = self.exp2rk(k)?;
            t.k = EK::Indexed(treg, r, isk);
        }
        Ok(())
    }

    fn negate_condition(&mut self, e: &E) {
        let c = self.get_jump_control(e.pc());
        let i = &mut self.f.code[c];
        let k = i.k();
        set_k(i, !k);
    }

    fn jump_on_cond(&mut self, e: &mut E, cond: bool) -> R<i32> {
        if let EK::Reloc(pc) = e.k {
            let ie = self.f.code[pc];
            if ie.op() == Op::Not {
                self.f.code.pop();
                self.f.lines.pop();
                let i = Ins::abc(Op::Test, ie.b(), 0, 0);
                return Ok(self.cond_jump(if !cond { i.with(K) } else { i }));
            }
        }
        self.discharge2anyreg(e)?;
        self.freeexp(e);
        let i = Ins::abc(Op::TestSet, NO_REG, e.reg(), 0);
        Ok(self.cond_jump(if cond { i.with(K) } else { i }))
    }

    fn go_if_true(&mut self, e: &mut E) -> R<()> {
        self.discharge_vars(e);
        let pc = match e.k {
            EK::Jmp(pc) => {
                self.negate_condition(e);
                pc as i32
            }
            EK::K(_) | EK::KFlt(_) | EK::KInt(_) | EK::KStr(_) | EK::True => NO_JUMP,
            _ => self.jump_on_cond(e, false)?,
        };
        let mut f = e.f;
        self.concat(&mut f, pc);
        e.f = f;
        self.patch_to_here(e.t);
        e.t = NO_JUMP;
        Ok(())
    }

    fn go_if_false(&mut self, e: &mut E) -> R<()> {
        self.discharge_vars(e);
        let pc = match e.k {
            EK::Jmp(pc) => pc as i32,
            EK::Nil | EK::False => NO_JUMP,
            _ => self.jump_on_cond(e, true)?,
        };
        let mut t = e.t;
        self.concat(&mut t, pc);
        e.t = t;
        self.patch_to_here(e.f);
        e.f = NO_JUMP;
        Ok(())
    }

    fn code_not(&mut self, e: &mut E) -> R<()> {
        match e.k {
            EK::Nil | EK::False => e.k = EK::True,
            EK::K(_) | EK::KFlt(_) | EK::KInt(_) | EK::KStr(_) | EK::True => e.k = EK::False,
            EK::Jmp(_) => self.negate_condition(e),
            EK::Reloc(_) | EK::NonReloc(_) => {
                self.discharge2anyreg(e)?;
                self.freeexp(e);
                e.k = EK::Reloc(self.abc(Op::Not, 0, e.reg(), 0));
            }
            ref k => panic!("code_not: {:?}", k),
        }
        std::mem::swap(&mut e.t, &mut e.f);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    fn prefix(&mut self, op: UnOp, e: &mut E, line: u32) -> R<()> {
        self.discharge_vars(e);
        match op {
            UnOp::Neg | UnOp::BNot => {
                if !e.has_jumps() {
                    if let Some(v) = fold_unary(op, &e.k) {
                        e.k = v;
                        return Ok(());
                    }
                }
                self.code_un(if op == UnOp::Neg { Op::Unm } else { Op::BNot }, e, line)
            }
            UnOp::Len => self.code_un(Op::Len, e, line),
            UnOp::Not => self.code_not(e),
        }
    }

    fn code_un(&mut self, op: Op, e: &mut E, line: u32) -> R<()> {
        let r = self.exp2anyreg(e)?;
        self.freeexp(e);
        e.k = EK::Reloc(self.abc(op, 0, r, 0));
        self.fixline(line);
        Ok(())
    }

    fn infix(&mut self, op: BinOp, v: &mut E) -> R<()> {
        self.discharge_vars(v);
        match op {
            BinOp::And => self.go_if_true(v)?,
            BinOp::Or => self.go_if_false(v)?,
            BinOp::Concat => self.exp2nextreg(v)?,
            BinOp::Eq | BinOp::Ne => {
                if !is_numeral(v) {
                    self.exp2rk(v)?;
                }
            }
            _ => {
                if !is_numeral(v) {
                    self.exp2anyreg(v)?;
                }
            }
        }
        Ok(())
    }

    fn posfix(&mut self, op: BinOp, e1: &mut E, e2: &mut E, line: u32) -> R<()> {
        self.discharge_vars(e2);
        if is_numeral(e1) && is_numeral(e2) {
            if let Some(v) = fold_binary(op, &e1.k, &e2.k) {
                e1.k = v;
                return Ok(());
            }
        }
        match op {
            BinOp::And => {
                let mut f = e2.f;
                self.concat(&mut f, e1.f);
                e2.f = f;
                *e1 = e2.clone();
            }
            BinOp::Or => {
                let mut t = e2.t;
                self.concat(&mut t, e1.t);
                e2.t = t;
                *e1 = e2.clone();
            }
            BinOp::Concat => {
                self.exp2nextreg(e2)?;
                let merged = match self.previous_instruction() {
                    Some(prev) if prev.op() == Op::Concat => {
                        let n = prev.b();
                        set_a(prev, e1.reg());
                        set_b(prev, n + 1);
                        true
                    }
                    _ => false,
                };
                self.freeexp(e2);
                if !merged {
                    self.abc(Op::Concat, e1.reg(), 2, 0);
                    self.fixline(line);
                }
            }
            BinOp::Eq | BinOp::Ne => {
                let (b, kb) = self.exp2rk(e1)?;
                let (c, kc) = self.exp2rk(e2)?;
                self.freeexps(e1, e2);
                let mut i = Ins::abc(Op::Eq, 0, b, c);
                if kb {
                    i = i.with(KB);
                }
                if kc {
                    i = i.with(KC);
                }
                if op == BinOp::Eq {
                    i = i.with(K);
                }
                let old = self.line;
                self.line = line;
                let j = self.cond_jump(i);
                self.line = old;
                *e1 = E::new(EK::Jmp(j as usize));
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (o, swap) = match op {
                    BinOp::Lt => (Op::Lt, false),
                    BinOp::Le => (Op::Le, false),
                    BinOp::Gt => (Op::Lt, true),
                    _ => (Op::Le, true),
                };
                let (b, kb, c, kc) = if swap {
                    let (c, kc) = self.exp2rk(e1)?;
                    let (b, kb) = self.exp2rk(e2)?;
                    (b, kb, c, kc)
                } else {
                    let (b, kb) = self.exp2rk(e1)?;
                    let (c, kc) = self.exp2rk(e2)?;
                    (b, kb, c, kc)
                };
                self.freeexps(e1, e2);
                let mut i = Ins::abc(o, 0, b, c).with(K);
                if kb {
                    i = i.with(KB);
                }
                if kc {
                    i = i.with(KC);
                }
                let old = self.line;
                self.line = line;
                let j = self.cond_jump(i);
                self.line = old;
                *e1 = E::new(EK::Jmp(j as usize));
            }
            _ => {
                let o = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    BinOp::Div => Op::Div,
                    BinOp::IDiv => Op::IDiv,
                    BinOp::Mod => Op::Mod,
                    BinOp::Pow => Op::Pow,
                    BinOp::BAnd => Op::BAnd,
                    BinOp::BOr => Op::BOr,
                    BinOp::BXor => Op::BXor,
                    BinOp::Shl => Op::Shl,
                    _ => Op::Shr,
                };
                let (c, kc) = self.exp2rk(e2)?;
                let (b, kb) = self.exp2rk(e1)?;
                self.freeexps(e1, e2);
                let mut i = Ins::abc(o, 0, b, c);
                if kb {
                    i = i.with(KB);
                }
                if kc {
                    i = i.with(KC);
                }
                e1.k = EK::Reloc(self.code(i));
                e1.t = NO_JUMP;
                e1.f = NO_JUMP;
                self.fixline(line);
            }
        }
        Ok(())
    }

    fn ret(&mut self, first: u32, nret: i32) {
        self.abc(Op::Return, first as u16, (nret + 1) as u16, 0);
    }

    /// luaK_finish: RETURN/TAILCALL flags, and jumps to jumps go straight to the end.
    fn finish(&mut self) {
        let np = self.f.num_params;
        for i in 0..self.f.code.len() {
            let ins = self.f.code[i];
            match ins.op() {
                Op::Return | Op::TailCall => {
                    let p = &mut self.f.code[i];
                    if self.needclose {
                        set_k(p, true);
                    }
                    if self.f.is_vararg {
                        set_c(p, np + 1);
                    }
                }
                Op::Jmp => {
                    let mut t = i;
                    for _ in 0..100 {
                        let c = self.f.code[t];
                        if c.op() != Op::Jmp {
                            break;
                        }
                        t = (t as i32 + c.sbx() + 1) as usize;
                    }
                    self.fix_jump(i, t as i32);
                }
                _ => {}
            }
        }
    }

    // ---- variables and blocks ----

    fn new_localvar(&mut self, name: &str, kind: VarKind) {
        self.actvar.push(VarDesc { name: name.to_string(), kind, ridx: 0, pidx: 0 });
    }

    fn adjust_localvars(&mut self, n: usize) {
        let first = self.nvarstack();
        for reglevel in first..first + n as u32 {
            let vidx = self.nactvar;
            self.nactvar += 1;
            let pc = self.pc() as u32;
            let v = &mut self.actvar[vidx];
            v.ridx = reglevel as u16;
            v.pidx = self.f.locals.len();
            self.f.locals.push(LocalInfo { name: v.name.clone(), reg: v.ridx, start_pc: pc, end_pc: 0 });
        }
    }

    fn remove_vars(&mut self, tolevel: usize) {
        let pc = self.pc() as u32;
        while self.nactvar > tolevel {
            self.nactvar -= 1;
            let v = &self.actvar[self.nactvar];
            if !matches!(v.kind, VarKind::Ctc(_)) {
                self.f.locals[v.pidx].end_pc = pc;
            }
        }
        self.actvar.truncate(tolevel);
    }

    fn enter_block(&mut self, isloop: bool) {
        let insidetbc = self.blocks.last().is_some_and(|b| b.insidetbc);
        self.blocks.push(BlockCnt {
            nactvar: self.nactvar,
            firstlabel: self.labels.len(),
            firstgoto: self.gotos.len(),
            upval: false,
            isloop,
            insidetbc,
        });
    }

    fn mark_upval(&mut self, vidx: usize) {
        for b in self.blocks.iter_mut().rev() {
            if b.nactvar <= vidx {
                b.upval = true;
                break;
            }
        }
        self.needclose = true;
    }

    fn mark_tbc(&mut self) {
        let b = self.blocks.last_mut().expect("block");
        b.upval = true;
        b.insidetbc = true;
        self.needclose = true;
    }

    fn find_label(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.name == name)
    }

    fn new_goto(&mut self, name: &str, line: u32, pc: i32) {
        let nactvar = self.nactvar;
        self.gotos.push(LabelDesc { name: name.to_string(), pc, line, nactvar, close: false, level: 0 });
    }

    /// Resolves the pending gotos of the current block that jump to `lb`.
    fn solve_gotos(&mut self, lb: &LabelDesc, err_line: u32) -> R<bool> {
        let mut i = self.blocks.last().expect("block").firstgoto;
        let mut needsclose = false;
        while i < self.gotos.len() {
            if self.gotos[i].name == lb.name {
                let gt = self.gotos.remove(i);
                needsclose |= gt.close;
                if gt.nactvar < lb.nactvar {
                    let var = &self.actvar[gt.nactvar].name;
                    let msg = format!(
                        "<goto {}> at line {} jumps into the scope of local '{}'",
                        gt.name, gt.line, var
                    );
                    return Err(self.sem_error(&msg, err_line));
                }
                self.patch_list(gt.pc, lb.pc);
            } else {
                i += 1;
            }
        }
        Ok(needsclose)
    }

    fn create_label(&mut self, name: &str, line: u32, last: bool, err_line: u32) -> R<bool> {
        let pc = self.get_label();
        let nactvar = if last { self.blocks.last().expect("block").nactvar } else { self.nactvar };
        let lb = LabelDesc { name: name.to_string(), pc, line, nactvar, close: false, level: 0 };
        self.labels.push(lb.clone());
        if self.solve_gotos(&lb, err_line)? {
            let lvl = self.nvarstack();
            self.abc(Op::Close, lvl as u16, 0, 0);
            return Ok(true);
        }
        Ok(false)
    }

    /// Leaves a block; `err_line` is where a pending goto is reported when this is the
    /// function's outermost block.
    fn leave_block(&mut self, err_line: u32) -> R<BlockCnt> {
        let bl = self.blocks.last().expect("block").clone();
        let stklevel = self.reglevel(bl.nactvar);
        // register levels of pending gotos, before their variables are removed
        for gi in bl.firstgoto..self.gotos.len() {
            self.gotos[gi].level = self.reglevel(self.gotos[gi].nactvar);
        }
        // lua5.4.4's order: the 'break' label sees the block's variables still active
        let mut hasclose = false;
        if bl.isloop {
            hasclose = self.create_label("break", 0, false, err_line)?;
        }
        let has_previous = self.blocks.len() > 1;
        if !hasclose && has_previous && bl.upval {
            self.abc(Op::Close, stklevel as u16, 0, 0);
        }
        self.freereg = stklevel;
        self.labels.truncate(bl.firstlabel);
        self.remove_vars(bl.nactvar);
        self.blocks.pop();
        if has_previous {
            for g in &mut self.gotos[bl.firstgoto..] {
                if g.level > stklevel {
                    g.close |= bl.upval;
                }
                g.nactvar = bl.nactvar;
            }
        } else if bl.firstgoto < self.gotos.len() {
            let gt = &self.gotos[bl.firstgoto];
            let msg = if gt.name == "break" {
                format!("break outside loop at line {}", gt.line)
            } else {
                format!("no visible label '{}' for <goto> at line {}", gt.name, gt.line)
            };
            return Err(self.sem_error(&msg, err_line));
        }
        Ok(bl)
    }
}

/// Numerals only (not string constants): what lua5.4 folds.
fn is_numeral(e: &E) -> bool {
    !e.has_jumps() && matches!(e.k, EK::KInt(_) | EK::KFlt(_))
}

fn flt_to_int(f: f64) -> Option<i64> {
    if f.floor() == f && (-9.223372036854776e18..9.223372036854776e18).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

fn to_int(k: &EK) -> Option<i64> {
    match *k {
        EK::KInt(i) => Some(i),
        EK::KFlt(f) => flt_to_int(f),
        _ => None,
    }
}

fn to_flt(k: &EK) -> f64 {
    match *k {
        EK::KInt(i) => i as f64,
        EK::KFlt(f) => f,
        _ => f64::NAN,
    }
}

fn shift_left(x: i64, y: i64) -> i64 {
    if y < 0 {
        if y <= -64 {
            0
        } else {
            ((x as u64) >> (-y)) as i64
        }
    } else if y >= 64 {
        0
    } else {
        ((x as u64) << y) as i64
    }
}

fn flt_result(f: f64) -> Option<EK> {
    if f.is_nan() || f == 0.0 {
        None
    } else {
        Some(EK::KFlt(f))
    }
}

/// lua5.4's constfolding for binary operators: never folds what would raise an error
/// (division by zero, non-integral bitwise operands), nor a NaN or zero float result.
fn fold_binary(op: BinOp, a: &EK, b: &EK) -> Option<EK> {
    use BinOp::*;
    match op {
        BAnd | BOr | BXor | Shl | Shr => {
            let (x, y) = (to_int(a)?, to_int(b)?);
            Some(EK::KInt(match op {
                BAnd => x & y,
                BOr => x | y,
                BXor => x ^ y,
                Shl => shift_left(x, y),
                _ => shift_left(x, y.wrapping_neg()),
            }))
        }
        Add | Sub | Mul | Div | IDiv | Mod | Pow => {
            if matches!(op, Div | IDiv | Mod) && to_flt(b) == 0.0 {
                return None;
            }
            if let (EK::KInt(x), EK::KInt(y), false) = (a, b, matches!(op, Div | Pow)) {
                let (x, y) = (*x, *y);
                return Some(EK::KInt(match op {
                    Add => x.wrapping_add(y),
                    Sub => x.wrapping_sub(y),
                    Mul => x.wrapping_mul(y),
                    IDiv => {
                        if y == -1 {
                            x.wrapping_neg()
                        } else {
                            let q = x / y;
                            if (x % y != 0) && ((x ^ y) < 0) {
                                q - 1
                            } else {
                                q
                            }
                        }
                    }
                    _ => {
                        if y == -1 {
                            0
                        } else {
                            let m = x % y;
                            if m != 0 && (m ^ y) < 0 {
                                m + y
                            } else {
                                m
                            }
                        }
                    }
                }));
            }
            let (x, y) = (to_flt(a), to_flt(b));
            flt_result(match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Div => x / y,
                Pow => {
                    if y == 2.0 {
                        x * x
                    } else {
                        x.powf(y)
                    }
                }
                IDiv => (x / y).floor(),
                _ => {
                    let mut m = x % y;
                    if if m > 0.0 { y < 0.0 } else { m < 0.0 && y != m } {
                        m += y;
                    }
                    m
                }
            })
        }
        _ => None,
    }
}

fn fold_unary(op: UnOp, a: &EK) -> Option<EK> {
    match (op, a) {
        (UnOp::Neg, EK::KInt(i)) => Some(EK::KInt(i.wrapping_neg())),
        (UnOp::Neg, EK::KFlt(f)) => flt_result(-f),
        (UnOp::BNot, a) => Some(EK::KInt(!to_int(a)?)),
        _ => None,
    }
}

struct Compiler {
    fs: Vec<FuncState>,
    chunk: String,
}

impl Compiler {
    fn fs(&mut self) -> &mut FuncState {
        self.fs.last_mut().expect("function state")
    }

    fn main(&mut self, main: &FuncBody) -> R<Proto> {
        let mut fs = FuncState::new(&self.chunk, 0, true);
        fs.line = 1;
        fs.f.upvals.push(UpvalDesc { in_stack: true, index: 0 });
        fs.f.upval_names.push("_ENV".into());
        fs.upval_ro.push(false);
        self.fs.push(fs);
        self.fs().enter_block(false);
        self.fs().abc(Op::VarArgPrep, 0, 0, 0);
        self.statlist(&main.body.stats)?;
        self.close_func(main.end_line, main.close_line)
    }

    fn close_func(&mut self, end_line: u32, close_line: u32) -> R<Proto> {
        let fs = self.fs();
        fs.line = end_line;
        let n = fs.nvarstack();
        fs.ret(n, 0);
        fs.leave_block(close_line)?;
        fs.finish();
        Ok(self.fs.pop().expect("function state").f)
    }

    fn function(&mut self, fb: &FuncBody) -> R<E> {
        if self.fs.len() >= 200 {
            // lua5.4 reaches its C-level limit long before this
            return Err(SyntaxError { msg: "C stack overflow".into() });
        }
        let mut fs = FuncState::new(&self.chunk, fb.line, fb.is_vararg);
        fs.line = fb.line;
        self.fs.push(fs);
        let fs = self.fs();
        fs.enter_block(false);
        for p in &fb.params {
            fs.new_localvar(p, VarKind::Reg);
        }
        fs.adjust_localvars(fb.params.len());
        fs.f.num_params = fs.nactvar as u16;
        if fb.is_vararg {
            let np = fs.f.num_params;
            fs.abc(Op::VarArgPrep, np, 0, 0);
        }
        let n = fs.nactvar as u32;
        fs.reserveregs(n)?;
        self.statlist(&fb.body.stats)?;
        let proto = self.close_func(fb.end_line, fb.close_line)?;
        let fs = self.fs();
        fs.line = fb.end_line;
        let idx = fs.f.protos.len() as u32;
        fs.f.protos.push(proto);
        let mut e = E::new(EK::Reloc(fs.abx(Op::Closure, 0, idx)));
        fs.exp2nextreg(&mut e)?;
        Ok(e)
    }

    // ---- names ----

    fn searchvar(fs: &FuncState, name: &str) -> Option<EK> {
        for i in (0..fs.nactvar).rev() {
            let v = &fs.actvar[i];
            if v.name == name {
                return Some(match &v.kind {
                    VarKind::Ctc(k) => EK::Ctc(Box::new(k.clone()), v.name.clone()),
                    _ => EK::Local(v.ridx, i),
                });
            }
        }
        None
    }

    fn singlevaraux(&mut self, level: usize, name: &str, base: bool) -> R<EK> {
        if let Some(k) = Self::searchvar(&self.fs[level], name) {
            if let (EK::Local(_, vidx), false) = (&k, base) {
                self.fs[level].mark_upval(*vidx);
            }
            return Ok(k);
        }
        if let Some(i) = self.fs[level].f.upval_names.iter().position(|n| n == name) {
            return Ok(EK::Upval(i as u16));
        }
        if level == 0 {
            return Ok(EK::Void);
        }
        let k = self.singlevaraux(level - 1, name, false)?;
        let (in_stack, index, ro) = match k {
            EK::Local(r, vidx) => (true, r, self.fs[level - 1].actvar[vidx].kind != VarKind::Reg),
            EK::Upval(u) => (false, u, self.fs[level - 1].upval_ro[u as usize]),
            k => return Ok(k),
        };
        let fs = &mut self.fs[level];
        if fs.f.upvals.len() + 1 > MAXUPVAL {
            let where_ = if level == 0 {
                "main function".to_string()
            } else {
                format!("function at line {}", fs.f.line_defined)
            };
            return Err(fs.error(&format!("too many upvalues (limit is {}) in {}", MAXUPVAL, where_)));
        }
        fs.f.upvals.push(UpvalDesc { in_stack, index });
        fs.f.upval_names.push(name.to_string());
        fs.upval_ro.push(ro);
        Ok(EK::Upval((fs.f.upvals.len() - 1) as u16))
    }

    fn singlevar(&mut self, name: &str) -> R<E> {
        let level = self.fs.len() - 1;
        let k = self.singlevaraux(level, name, true)?;
        if k != EK::Void {
            return Ok(E::new(k));
        }
        let env = self.singlevaraux(level, "_ENV", true)?;
        let mut var = E::new(env);
        let fs = self.fs();
        // `_ENV` could be a compile-time constant: then it is indexed from a register
        fs.discharge_ctc(&mut var);
        fs.exp2anyregup(&mut var)?;
        let mut key = E::new(EK::KStr(name.as_bytes().to_vec()));
        fs.indexed(&mut var, &mut key)?;
        Ok(var)
    }

    fn check_readonly(&mut self, e: &E, line: u32) -> R<()> {
        let fs = self.fs();
        let name = match &e.k {
            EK::Ctc(_, n) => Some(n.clone()),
            EK::Local(_, vidx) => {
                let v = &fs.actvar[*vidx];
                (v.kind != VarKind::Reg).then(|| v.name.clone())
            }
            EK::Upval(u) => fs.upval_ro[*u as usize].then(|| fs.f.upval_names[*u as usize].clone()),
            _ => None,
        };
        if let Some(n) = name {
            return Err(fs.sem_error(&format!("attempt to assign to const variable '{}'", n), line));
        }
        Ok(())
    }

    // ---- expressions ----

    fn expr(&mut self, e: &Expr) -> R<E> {
        Ok(match e {
            Expr::Nil => E::new(EK::Nil),
            Expr::True => E::new(EK::True),
            Expr::False => E::new(EK::False),
            Expr::Int(i) => E::new(EK::KInt(*i)),
            Expr::Flt(f) => E::new(EK::KFlt(*f)),
            Expr::Str(s) => E::new(EK::KStr(s.clone())),
            Expr::Vararg => E::new(EK::Vararg(self.fs().abc(Op::VarArg, 0, 0, 1))),
            Expr::Function(fb) => self.function(fb)?,
            Expr::Name(n, line) => {
                self.fs().line = *line;
                self.singlevar(n)?
            }
            Expr::Index(t, k, line) => {
                let mut te = self.expr(t)?;
                self.fs().exp2anyregup(&mut te)?;
                let mut ke = self.expr(k)?;
                let fs = self.fs();
                fs.exp2val(&mut ke)?;
                fs.line = *line;
                fs.indexed(&mut te, &mut ke)?;
                te
            }
            Expr::Call(f, args, line) => {
                let mut fe = self.expr(f)?;
                self.fs().line = *line;
                self.fs().exp2nextreg(&mut fe)?;
                self.funcargs(fe, args, *line)?
            }
            Expr::Method(obj, name, args, line) => {
                let mut oe = self.expr(obj)?;
                let fs = self.fs();
                fs.line = *line;
                let mut key = E::new(EK::KStr(name.clone()));
                fs.self_op(&mut oe, &mut key)?;
                self.funcargs(oe, args, *line)?
            }
            Expr::Paren(inner) => {
                let mut e = self.expr(inner)?;
                self.fs().discharge_vars(&mut e);
                e
            }
            Expr::Table(fields, line) => self.constructor(fields, *line)?,
            Expr::Bin(op, l, r, line) => {
                let mut e1 = self.expr(l)?;
                self.fs().line = *line;
                self.fs().infix(*op, &mut e1)?;
                let mut e2 = self.expr(r)?;
                self.fs().posfix(*op, &mut e1, &mut e2, *line)?;
                e1
            }
            Expr::Un(op, x, line) => {
                let mut e = self.expr(x)?;
                self.fs().line = *line;
                self.fs().prefix(*op, &mut e, *line)?;
                e
            }
        })
    }

    /// Evaluates a list: all but the last value go to consecutive registers; returns the
    /// last one undischarged.
    fn explist(&mut self, es: &[Expr]) -> R<E> {
        let mut e = self.expr(&es[0])?;
        for x in &es[1..] {
            self.fs().exp2nextreg(&mut e)?;
            e = self.expr(x)?;
        }
        Ok(e)
    }

    fn funcargs(&mut self, fe: E, args: &[Expr], line: u32) -> R<E> {
        let base = fe.reg();
        let multi;
        if args.is_empty() {
            multi = false;
        } else {
            let mut a = self.explist(args)?;
            let fs = self.fs();
            if a.is_multi() {
                fs.set_returns(&mut a, MULTRET)?;
                multi = true;
            } else {
                fs.exp2nextreg(&mut a)?;
                multi = false;
            }
        }
        let fs = self.fs();
        let nparams = fs.freereg - (base as u32 + 1);
        let b = if multi { 0 } else { nparams as u16 + 1 };
        fs.line = line;
        let pc = fs.abc(Op::Call, base, b, 2);
        fs.freereg = base as u32 + 1;
        Ok(E::new(EK::Call(pc)))
    }

    fn constructor(&mut self, fields: &[Field], line: u32) -> R<E> {
        let fs = self.fs();
        fs.line = line;
        let pc = fs.abc(Op::NewTable, 0, 0, 0);
        let t = E::new(EK::NonReloc(fs.freereg as u16));
        fs.reserveregs(1)?;
        set_a(&mut fs.f.code[pc], t.reg());
        let (mut na, mut nh, mut tostore) = (0u32, 0u32, 0u32);
        let mut pending: Option<E> = None;
        for field in fields {
            if let Some(mut v) = pending.take() {
                let fs = self.fs();
                fs.exp2nextreg(&mut v)?;
                if tostore == LFIELDS_PER_FLUSH {
                    fs.line = line;
                    self.setlist(t.reg(), na, tostore as i32)?;
                    na += tostore;
                    tostore = 0;
                }
            }
            match field {
                Field::Keyed(k, v) => {
                    nh += 1;
                    let reg = self.fs().freereg;
                    let mut tab = t.clone();
                    let mut ke = self.expr(k)?;
                    self.fs().exp2val(&mut ke)?;
                    self.fs().indexed(&mut tab, &mut ke)?;
                    let mut ve = self.expr(v)?;
                    self.fs().store_var(&tab, &mut ve)?;
                    self.fs().freereg = reg;
                }
                Field::Item(v) => {
                    pending = Some(self.expr(v)?);
                    tostore += 1;
                }
            }
        }
        if tostore > 0 {
            match pending.take() {
                Some(mut v) if v.is_multi() => {
                    self.fs().set_returns(&mut v, MULTRET)?;
                    self.setlist(t.reg(), na, MULTRET)?;
                    // the last item's count is unknown: it does not count
                    na = (na + tostore).saturating_sub(1);
                }
                v => {
                    if let Some(mut v) = v {
                        self.fs().exp2nextreg(&mut v)?;
                    }
                    self.setlist(t.reg(), na, tostore as i32)?;
                    na += tostore;
                }
            }
        }
        let fs = self.fs();
        set_b(&mut fs.f.code[pc], na.min(u16::MAX as u32) as u16);
        set_c(&mut fs.f.code[pc], nh.min(u16::MAX as u32) as u16);
        Ok(t)
    }

    fn setlist(&mut self, base: u16, nelems: u32, tostore: i32) -> R<()> {
        let fs = self.fs();
        if nelems > u16::MAX as u32 {
            return Err(fs.error("too many items in a constructor"));
        }
        let b = if tostore == MULTRET { 0 } else { tostore as u16 };
        fs.abc(Op::SetList, base, b, nelems as u16);
        fs.freereg = base as u32 + 1;
        Ok(())
    }

    /// An assignable expression: a name or an index (the parser allows nothing else).
    fn lvalue(&mut self, e: &Expr) -> R<E> {
        match e {
            Expr::Name(n, line) => {
                self.fs().line = *line;
                self.singlevar(n)
            }
            e => self.expr(e),
        }
    }

    fn adjust_assign(&mut self, nvars: usize, nexps: usize, e: &mut E) -> R<()> {
        let fs = self.fs();
        let needed = nvars as i32 - nexps as i32;
        if e.is_multi() {
            let extra = (needed + 1).max(0);
            fs.set_returns(e, extra)?;
        } else {
            if e.k != EK::Void {
                fs.exp2nextreg(e)?;
            }
            if needed > 0 {
                let fr = fs.freereg as u16;
                fs.nil(fr, needed as u16);
            }
        }
        if needed > 0 {
            fs.reserveregs(needed as u32)?;
        } else {
            fs.freereg = (fs.freereg as i32 + needed) as u32;
        }
        Ok(())
    }

    fn check_conflict(&mut self, prev: &mut [E], v: &E) -> R<()> {
        let fs = self.fs();
        let extra = fs.freereg as u16;
        let mut conflict = false;
        for lh in prev.iter_mut() {
            match lh.k {
                EK::IndexUp(u, k) if v.k == EK::Upval(u) => {
                    conflict = true;
                    lh.k = EK::Indexed(extra, k as u16, true);
                }
                EK::Indexed(t, key, isk) => {
                    let mut t2 = t;
                    let mut key2 = key;
                    if let EK::Local(r, _) = v.k {
                        if t == r {
                            conflict = true;
                            t2 = extra;
                        }
                        if !isk && key == r {
                            conflict = true;
                            key2 = extra;
                        }
                    }
                    lh.k = EK::Indexed(t2, key2, isk);
                }
                EK::IndexI(t, i) => {
                    if let EK::Local(r, _) = v.k {
                        if t == r {
                            conflict = true;
                            lh.k = EK::IndexI(extra, i);
                        }
                    }
                }
                _ => {}
            }
        }
        if conflict {
            match v.k {
                EK::Local(r, _) => fs.abc(Op::Move, extra, r, 0),
                EK::Upval(u) => fs.abc(Op::GetUpval, extra, u, 0),
                _ => unreachable!("conflict with a non-variable"),
            };
            fs.reserveregs(1)?;
        }
        Ok(())
    }

    // ---- statements ----

    fn block(&mut self, b: &Block) -> R<()> {
        self.fs().enter_block(false);
        self.statlist(&b.stats)?;
        self.fs().leave_block(0)?;
        Ok(())
    }

    fn statlist(&mut self, stats: &[Stat]) -> R<()> {
        for s in stats {
            self.statement(s)?;
            let fs = self.fs();
            fs.freereg = fs.nvarstack();
        }
        Ok(())
    }

    fn cond(&mut self, c: &Expr) -> R<i32> {
        let mut v = self.expr(c)?;
        if v.k == EK::Nil {
            v.k = EK::False;
        }
        self.fs().go_if_true(&mut v)?;
        Ok(v.f)
    }

    fn statement(&mut self, s: &Stat) -> R<()> {
        match s {
            Stat::Expr(e, line) => {
                self.fs().line = *line;
                let v = self.expr(e)?;
                let pc = v.pc();
                set_c(&mut self.fs().f.code[pc], 1);
            }
            Stat::Assign { targets, values, line, check_lines } => {
                let mut lhs: Vec<E> = Vec::new();
                for (i, t) in targets.iter().enumerate() {
                    let v = self.lvalue(t)?;
                    self.check_readonly(&v, check_lines[i])?;
                    if i > 0 && !matches!(v.k, EK::IndexUp(..) | EK::Indexed(..) | EK::IndexI(..)) {
                        self.check_conflict(&mut lhs, &v)?;
                    }
                    lhs.push(v);
                }
                let mut e = self.explist(values)?;
                self.fs().line = *line;
                let n = lhs.len();
                let rest = if values.len() == n {
                    let fs = self.fs();
                    fs.set_one_ret(&mut e);
                    fs.store_var(&lhs[n - 1], &mut e)?;
                    n - 1
                } else {
                    self.adjust_assign(n, values.len(), &mut e)?;
                    n
                };
                for v in lhs[..rest].iter().rev() {
                    let fs = self.fs();
                    let mut e = E::new(EK::NonReloc((fs.freereg - 1) as u16));
                    fs.store_var(v, &mut e)?;
                }
            }
            Stat::Local { names, values, line } => self.localstat(names, values, *line)?,
            Stat::Function { target, body, line, check_line } => {
                self.fs().line = *line;
                let v = self.lvalue(target)?;
                let mut b = self.function(body)?;
                self.check_readonly(&v, *check_line)?;
                let fs = self.fs();
                fs.store_var(&v, &mut b)?;
                fs.fixline(*line);
            }
            Stat::LocalFunction { name, body, line } => {
                let fs = self.fs();
                fs.line = *line;
                let fvar = fs.nactvar;
                fs.new_localvar(name, VarKind::Reg);
                fs.adjust_localvars(1);
                self.function(body)?;
                let fs = self.fs();
                let pidx = fs.actvar[fvar].pidx;
                fs.f.locals[pidx].start_pc = fs.pc() as u32;
            }
            Stat::Do(b) => self.block(b)?,
            Stat::While { cond, body, line } => {
                self.fs().line = *line;
                let init = self.fs().get_label();
                let exit = self.cond(cond)?;
                self.fs().enter_block(true);
                self.block(body)?;
                let fs = self.fs();
                fs.line = body.end_line;
                let j = fs.jump();
                fs.patch_list(j, init);
                fs.leave_block(0)?;
                fs.patch_to_here(exit);
            }
            Stat::Repeat { body, cond, line } => {
                let fs = self.fs();
                fs.line = *line;
                let init = fs.get_label();
                fs.enter_block(true);
                fs.enter_block(false);
                self.statlist(&body.stats)?;
                let mut exit = self.cond(cond)?;
                let fs = self.fs();
                let bl2 = fs.leave_block(0)?;
                if bl2.upval {
                    let ex = fs.jump();
                    fs.patch_to_here(exit);
                    let lvl = fs.reglevel(bl2.nactvar);
                    fs.abc(Op::Close, lvl as u16, 0, 0);
                    exit = fs.jump();
                    fs.patch_to_here(ex);
                }
                fs.patch_list(exit, init);
                fs.leave_block(0)?;
            }
            Stat::If { conds, else_block, line } => {
                self.fs().line = *line;
                let mut escape = NO_JUMP;
                for (i, (c, b)) in conds.iter().enumerate() {
                    let more = i + 1 < conds.len() || else_block.is_some();
                    self.test_then_block(c, b, more, &mut escape)?;
                }
                if let Some(b) = else_block {
                    self.block(b)?;
                }
                self.fs().patch_to_here(escape);
            }
            Stat::NumFor { var, start, limit, step, body, line } => {
                let fs = self.fs();
                fs.line = *line;
                fs.enter_block(true);
                let base = fs.freereg as u16;
                for _ in 0..3 {
                    fs.new_localvar("(for state)", VarKind::Reg);
                }
                fs.new_localvar(var, VarKind::Reg);
                self.exp1(start)?;
                self.exp1(limit)?;
                if let Some(s) = step {
                    self.exp1(s)?;
                } else {
                    let fs = self.fs();
                    let r = fs.freereg as u16;
                    fs.load_int(r, 1);
                    fs.reserveregs(1)?;
                }
                self.fs().adjust_localvars(3);
                self.forbody(base, *line, 1, false, body)?;
                let fs = self.fs();
                fs.line = body.end_line;
                fs.leave_block(0)?;
            }
            Stat::GenFor { vars, exprs, body, line } => {
                let fs = self.fs();
                fs.enter_block(true);
                let base = fs.freereg as u16;
                for _ in 0..4 {
                    fs.new_localvar("(for state)", VarKind::Reg);
                }
                for v in vars {
                    fs.new_localvar(v, VarKind::Reg);
                }
                fs.line = *line;
                let mut e = self.explist(exprs)?;
                self.adjust_assign(4, exprs.len(), &mut e)?;
                let fs = self.fs();
                fs.adjust_localvars(4);
                fs.mark_tbc();
                fs.checkstack(3)?;
                self.forbody(base, *line, vars.len(), true, body)?;
                let fs = self.fs();
                fs.line = body.end_line;
                fs.leave_block(0)?;
            }
            Stat::Return { values, line } => {
                let first = self.fs().nvarstack();
                let (first, nret) = if values.is_empty() {
                    (first, 0)
                } else {
                    let mut e = self.explist(values)?;
                    let fs = self.fs();
                    if e.is_multi() {
                        fs.set_returns(&mut e, MULTRET)?;
                        if let (EK::Call(pc), 1) = (&e.k, values.len()) {
                            if !fs.blocks.last().expect("block").insidetbc {
                                set_op(&mut fs.f.code[*pc], Op::TailCall);
                            }
                        }
                        (first, MULTRET)
                    } else if values.len() == 1 {
                        (fs.exp2anyreg(&mut e)? as u32, 1)
                    } else {
                        fs.exp2nextreg(&mut e)?;
                        (first, values.len() as i32)
                    }
                };
                let fs = self.fs();
                fs.line = *line;
                fs.ret(first, nret);
            }
            Stat::Break { line } => {
                let fs = self.fs();
                fs.line = *line;
                let j = fs.jump();
                fs.new_goto("break", *line, j);
            }
            Stat::Goto { name, line } => {
                let fs = self.fs();
                fs.line = *line;
                match fs.find_label(name) {
                    None => {
                        let j = fs.jump();
                        fs.new_goto(name, *line, j);
                    }
                    Some(li) => {
                        let lb = fs.labels[li].clone();
                        let lblevel = fs.reglevel(lb.nactvar);
                        if fs.nvarstack() > lblevel {
                            fs.abc(Op::Close, lblevel as u16, 0, 0);
                        }
                        let j = fs.jump();
                        fs.patch_list(j, lb.pc);
                    }
                }
            }
            Stat::Label { name, line, report_line, last } => {
                let fs = self.fs();
                if let Some(li) = fs.find_label(name) {
                    let msg = format!("label '{}' already defined on line {}", name, fs.labels[li].line);
                    return Err(fs.sem_error(&msg, *report_line));
                }
                fs.create_label(name, *line, *last, *report_line)?;
            }
        }
        Ok(())
    }

    fn exp1(&mut self, e: &Expr) -> R<()> {
        let mut v = self.expr(e)?;
        self.fs().exp2nextreg(&mut v)
    }

    fn forbody(&mut self, base: u16, line: u32, nvars: usize, isgen: bool, body: &Block) -> R<()> {
        let fs = self.fs();
        let prep = fs.abx(if isgen { Op::TForPrep } else { Op::ForPrep }, base, 0);
        fs.enter_block(false);
        fs.adjust_localvars(nvars);
        fs.reserveregs(nvars as u32)?;
        self.block(body)?;
        let fs = self.fs();
        fs.leave_block(0)?;
        let here = fs.get_label();
        fs.fix_jump(prep, here);
        fs.line = line;
        if isgen {
            fs.abc(Op::TForCall, base, 0, nvars as u16);
        }
        let endfor = fs.abx(if isgen { Op::TForLoop } else { Op::ForLoop }, base, 0);
        fs.fix_jump(endfor, prep as i32 + 1);
        Ok(())
    }

    fn test_then_block(&mut self, c: &Expr, b: &Block, more: bool, escape: &mut i32) -> R<()> {
        let mut v = self.expr(c)?;
        let jf;
        let rest: &[Stat];
        if let Some(Stat::Break { line }) = b.stats.first() {
            let fs = self.fs();
            fs.go_if_false(&mut v)?;
            fs.enter_block(false);
            fs.new_goto("break", *line, v.t);
            if b.stats.len() == 1 {
                fs.leave_block(0)?;
                return Ok(());
            }
            jf = fs.jump();
            rest = &b.stats[1..];
        } else {
            let fs = self.fs();
            fs.go_if_true(&mut v)?;
            fs.enter_block(false);
            jf = v.f;
            rest = &b.stats;
        }
        self.statlist(rest)?;
        let fs = self.fs();
        fs.leave_block(0)?;
        if more {
            let j = fs.jump();
            fs.concat(escape, j);
        }
        fs.patch_to_here(jf);
        Ok(())
    }

    fn localstat(&mut self, names: &[(String, Attrib)], values: &[Expr], line: u32) -> R<()> {
        let fs = self.fs();
        fs.line = line;
        let mut toclose: Option<usize> = None;
        for (i, (n, a)) in names.iter().enumerate() {
            let kind = match a {
                Attrib::None => VarKind::Reg,
                Attrib::Const => VarKind::Const,
                Attrib::Close => {
                    toclose = Some(fs.nactvar + i);
                    VarKind::Close
                }
            };
            fs.new_localvar(n, kind);
        }
        let nvars = names.len();
        let mut e = if values.is_empty() { E::new(EK::Void) } else { self.explist(values)? };
        let fs = self.fs();
        let last = fs.actvar.len() - 1;
        let ctc = if nvars == values.len() && fs.actvar[last].kind == VarKind::Const {
            exp2const(&e)
        } else {
            None
        };
        if let Some(k) = ctc {
            fs.actvar[last].kind = VarKind::Ctc(k);
            fs.adjust_localvars(nvars - 1);
            fs.nactvar += 1;
        } else {
            self.adjust_assign(nvars, values.len(), &mut e)?;
            self.fs().adjust_localvars(nvars);
        }
        if let Some(level) = toclose {
            let fs = self.fs();
            fs.mark_tbc();
            let r = fs.reglevel(level);
            fs.abc(Op::Tbc, r as u16, 0, 0);
        }
        Ok(())
    }
}

impl FuncState {
    fn discharge_ctc(&mut self, e: &mut E) {
        if let EK::Ctc(v, _) = &e.k {
            e.k = (**v).clone();
        }
    }
}

/// A compile-time constant value for `local x <const> = e`, if `e` is one.
fn exp2const(e: &E) -> Option<EK> {
    if e.has_jumps() {
        return None;
    }
    match &e.k {
        EK::Nil | EK::True | EK::False | EK::KInt(_) | EK::KFlt(_) | EK::KStr(_) => Some(e.k.clone()),
        EK::Ctc(v, _) => Some((**v).clone()),
        _ => None,
    }
}

fn const_text(k: &Const) -> String {
    match k {
        Const::Nil => "nil".into(),
        Const::Bool(b) => b.to_string(),
        Const::Int(i) => i.to_string(),
        Const::Float(f) => {
            if f.fract() == 0.0 && f.is_finite() {
                format!("{:.1}", f)
            } else {
                format!("{}", f)
            }
        }
        Const::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
    }
}

/// A readable listing of a prototype and its children, one instruction a line:
/// `pc [line] OP operands`. Constants show as `K(value)`, jump targets as `to pc`.
pub fn disassemble(p: &Proto) -> String {
    let mut out = String::new();
    disassemble_into(p, &mut out);
    out
}

fn disassemble_into(p: &Proto, out: &mut String) {
    let _ = writeln!(
        out,
        "function <{}:{}> params={}{} stack={} upvals={} consts={} protos={}",
        p.source,
        p.line_defined,
        p.num_params,
        if p.is_vararg { "+" } else { "" },
        p.max_stack,
        p.upvals.len(),
        p.consts.len(),
        p.protos.len()
    );
    let k = |i: u16| const_text(&p.consts[i as usize]);
    for (pc, ins) in p.code.iter().enumerate() {
        let i = *ins;
        let rk_b = || if i.kb() { format!("K({})", k(i.b())) } else { i.b().to_string() };
        let rk_c = || if i.kc() { format!("K({})", k(i.c())) } else { i.c().to_string() };
        let target = |pc: usize| (pc as i64 + 1 + i.sbx() as i64).to_string();
        let kf = if i.k() { " k" } else { "" };
        let ops = match i.op() {
            Op::Move | Op::GetUpval | Op::SetUpval | Op::Unm | Op::BNot | Op::Not | Op::Len => {
                format!("{} {}", i.a(), i.b())
            }
            Op::LoadNil | Op::Concat => format!("{} {}", i.a(), i.b()),
            Op::LoadK => format!("{} K({})", i.a(), const_text(&p.consts[i.bx() as usize])),
            Op::LoadI => format!("{} {}", i.a(), i.sbx()),
            Op::LoadFalse | Op::LoadTrue | Op::Close | Op::Tbc | Op::VarArgPrep => i.a().to_string(),
            Op::GetTabUp => format!("{} {} K({})", i.a(), i.b(), k(i.c())),
            Op::SetTabUp => format!("{} K({}) {}", i.a(), k(i.b()), rk_c()),
            Op::GetTable | Op::SelfOp => format!("{} {} {}", i.a(), i.b(), rk_c()),
            Op::GetI | Op::NewTable | Op::Call | Op::SetList => {
                format!("{} {} {}", i.a(), i.b(), i.c())
            }
            Op::SetTable => format!("{} {} {}", i.a(), rk_b(), rk_c()),
            Op::SetI => format!("{} {} {}", i.a(), i.b(), rk_c()),
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Mod
            | Op::Pow
            | Op::Div
            | Op::IDiv
            | Op::BAnd
            | Op::BOr
            | Op::BXor
            | Op::Shl
            | Op::Shr => format!("{} {} {}", i.a(), rk_b(), rk_c()),
            Op::Jmp => format!("to {}", target(pc)),
            Op::Eq | Op::Lt | Op::Le => format!("{} {}{}", rk_b(), rk_c(), kf),
            Op::Test => format!("{}{}", i.a(), kf),
            Op::TestSet => format!("{} {}{}", i.a(), i.b(), kf),
            Op::TailCall | Op::Return => format!("{} {} {}{}", i.a(), i.b(), i.c(), kf),
            Op::ForLoop | Op::ForPrep | Op::TForPrep | Op::TForLoop => {
                format!("{} to {}", i.a(), target(pc))
            }
            Op::TForCall | Op::VarArg => format!("{} {}", i.a(), i.c()),
            Op::Closure => format!("{} {}", i.a(), i.bx()),
        };
        let name = format!("{:?}", i.op()).to_uppercase();
        let _ = writeln!(out, "{:>4} [{}] {:<10} {}", pc, p.lines[pc], name, ops);
    }
    for child in &p.protos {
        disassemble_into(child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dis(src: &str) -> String {
        disassemble(&compile(src.as_bytes(), "t").unwrap())
    }

    #[test]
    fn hello() {
        let d = dis("print('hi')");
        assert!(d.contains("GETTABUP   0 0 K(\"print\")"), "{d}");
        assert!(d.contains("CALL       0 2 1"), "{d}");
    }
}

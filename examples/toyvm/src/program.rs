//! The VM's handlers as a fragment program: one fragment per opcode, plus `fetch`, the entry,
//! which dispatches on the opcode at `pc`. Every handler ends by fetching its successor and
//! dispatching itself (threaded dispatch); a branch not taken leaves its guard to `fetch`
//! with `pc + 1`, so a recording says which way each branch went. Errors and the final `ret`
//! leave to the host with a resume word (`RESUME_*`). Bytecode is read with `imm` loads.
//! A taken jump backwards goes through `loop`, the control point (a loop header: where a
//! runtime counts and enters traces); the pc a `ret` loads from the stack is promoted, so a
//! trace knows where it returned to.

use trace_ir::fragment::{Program, ProgramBuilder};
use trace_ir::{BinOp, Builder, CallEffect, CallHint, Callee, ICmp, OvfOp, SnapTo, Type, Value};

use crate::FRAME_BYTES;
use crate::{
    Opcode, MIX_SYMBOL, RESUME_BAD_OPCODE, RESUME_HALT, RESUME_OVERFLOW, RESUME_RANGE, RESUME_STACK,
};

/// The slots of the VM state.
pub const PC: u32 = 0;
/// The current frame's base address: `r[i]` is at `base + 8 * i`.
pub const BASE: u32 = 1;
/// The bytecode's address.
pub const CODE: u32 = 2;
/// The array's address and its length in words.
pub const ARR: u32 = 3;
pub const ALEN: u32 = 4;
/// The end of the VM stack (one past its last byte).
pub const STACK_END: u32 = 5;
/// What the outermost `ret` returned.
pub const RESULT: u32 = 6;
/// The opcode a dispatch goes on (temp).
pub const OP: u32 = 7;
/// Slots the program declares.
pub const SLOTS: usize = 8;

const I64: Type = Type::I64;

/// One handler's body under construction: the slots it reads and the instruction at `pc`.
struct H {
    b: Builder,
    table: u32,
    pc: Value,
    base: Value,
    code: Value,
    ins: Value,
}

impl H {
    fn new(name: &str, table: u32) -> H {
        let mut b = Builder::named(name);
        let pc = b.input(PC, I64);
        b.name(pc, "pc");
        let base = b.input(BASE, I64);
        b.name(base, "base");
        let code = b.input(CODE, I64);
        b.name(code, "code");
        let ins = load_insn(&mut b, code, pc);
        b.name(ins, "ins");
        H { b, table, pc, base, code, ins }
    }

    fn c(&mut self, v: i64) -> Value {
        self.b.iconst(I64, v)
    }

    /// Field `(ins >> shift) & 0xff`.
    fn field(&mut self, shift: i64, name: &str) -> Value {
        let s = self.c(shift);
        let m = self.c(0xff);
        let x = self.b.bin(BinOp::LShr, self.ins, s);
        let f = self.b.bin(BinOp::And, x, m);
        self.b.name(f, name)
    }

    /// The address of the register a field names: `base + 8 * field`.
    fn reg_addr(&mut self, shift: i64, name: &str) -> Value {
        let f = self.field(shift, name);
        let three = self.c(3);
        let off = self.b.bin(BinOp::Shl, f, three);
        self.b.bin(BinOp::Add, self.base, off)
    }

    fn read_reg(&mut self, shift: i64, name: &str) -> Value {
        let at = self.reg_addr(shift, name);
        let v = self.b.load(I64, at, 0, false);
        let n = format!("r{name}");
        self.b.name(v, &n)
    }

    /// The signed immediate, `ins >> 32`.
    fn imm(&mut self) -> Value {
        let s = self.c(32);
        let v = self.b.bin(BinOp::AShr, self.ins, s);
        self.b.name(v, "imm")
    }

    fn next_pc(&mut self) -> Value {
        let one = self.c(1);
        let v = self.b.bin(BinOp::Add, self.pc, one);
        self.b.name(v, "pc1")
    }

    /// `pc + 1 + imm`.
    fn target(&mut self) -> Value {
        let pc1 = self.next_pc();
        let imm = self.imm();
        let t = self.b.bin(BinOp::Add, pc1, imm);
        self.b.name(t, "target")
    }

    /// A host exit with `resume` (the pc stays at the instruction that stopped).
    fn error(&mut self, resume: u64) -> trace_ir::SnapId {
        self.b.snapshot_to(SnapTo::Host, resume, &[])
    }

    /// Fetches the instruction at `pc` and dispatches on its opcode, writing `extra` too.
    fn dispatch(mut self, pc: Value, extra: &[(u32, Value)]) -> trace_ir::Trace {
        let ins = load_insn(&mut self.b, self.code, pc);
        let m = self.c(0xff);
        let op = self.b.bin(BinOp::And, ins, m);
        self.b.name(op, "op");
        let mut entries = vec![(PC, pc), (OP, op)];
        entries.extend_from_slice(extra);
        let s =
            self.b.snapshot_to(SnapTo::Dispatch { table: self.table, slot: OP }, RESUME_BAD_OPCODE, &entries);
        self.b.exit(s)
    }
}

/// `load.i64 imm [code + 8 * pc]`.
fn load_insn(b: &mut Builder, code: Value, pc: Value) -> Value {
    let three = b.iconst(I64, 3);
    let off = b.bin(BinOp::Shl, pc, three);
    let at = b.bin(BinOp::Add, code, off);
    b.load(I64, at, 0, true)
}

fn arith(table: u32, name: &str, op: OvfOp) -> trace_ir::Trace {
    let mut h = H::new(name, table);
    let rb = h.read_reg(16, "b");
    let rc = h.read_reg(24, "c");
    let at = h.reg_addr(8, "a");
    let ovf = h.error(RESUME_OVERFLOW);
    let v = h.b.ovf(op, rb, rc, ovf);
    h.b.store(at, 0, v);
    let pc1 = h.next_pc();
    h.dispatch(pc1, &[])
}

fn branch(table: u32, fetch: u32, lp: u32, name: &str, cmp: ICmp) -> trace_ir::Trace {
    let mut h = H::new(name, table);
    let ra = h.read_reg(8, "a");
    let rb = h.read_reg(16, "b");
    let pc1 = h.next_pc();
    let taken = h.b.icmp(cmp, ra, rb);
    let fall = h.b.snapshot_to(SnapTo::Fragment(fetch), 0, &[(PC, pc1)]);
    h.b.guard(taken, fall);
    let t = h.target();
    h.jump_to(t, pc1, lp)
}

impl H {
    /// Continues at `t`: through the control point `lp` when it jumps backwards, else by
    /// dispatching there directly.
    fn jump_to(mut self, t: Value, pc1: Value, lp: u32) -> trace_ir::Trace {
        let back = self.b.icmp(ICmp::Ult, t, pc1);
        let s = self.b.snapshot_to(SnapTo::Fragment(lp), 0, &[(PC, t)]);
        self.b.guard_not(back, s);
        self.dispatch(t, &[])
    }
}

/// The VM as a fragment program (it verifies; see the tests).
pub fn program() -> Program {
    let mut pb = ProgramBuilder::new("toyvm");
    pb.green_slot("pc", I64);
    pb.slot("base", I64);
    // The bytecode's address is green too: constant for a loop, so its `imm` loads fold.
    pb.green_slot("code", I64);
    pb.slot("arr", I64);
    pb.slot("alen", I64);
    pb.slot("stack_end", I64);
    pb.slot("result", I64);
    pb.temp_slot("op", I64);
    let fetch = pb.declare("fetch");
    let lp = pb.declare("loop");
    let ops: Vec<u32> = Opcode::ALL.iter().map(|op| pb.declare(&format!("op_{}", op.name()))).collect();
    let table = pb.table("ops", &ops);
    pb.entry(fetch);
    pb.control(lp);

    // fetch: dispatch on the opcode at pc; loop, the control point, does the same.
    for (frag, name) in [(fetch, "fetch"), (lp, "loop")] {
        let mut b = Builder::named(name);
        let pc = b.input(PC, I64);
        b.name(pc, "pc");
        let code = b.input(CODE, I64);
        b.name(code, "code");
        let ins = load_insn(&mut b, code, pc);
        b.name(ins, "ins");
        let m = b.iconst(I64, 0xff);
        let op = b.bin(BinOp::And, ins, m);
        b.name(op, "op");
        let s = b.snapshot_to(SnapTo::Dispatch { table, slot: OP }, RESUME_BAD_OPCODE, &[(OP, op)]);
        pb.define(frag, b.exit(s));
    }

    for (k, &op) in Opcode::ALL.iter().enumerate() {
        let name = format!("op_{}", op.name());
        let body = match op {
            Opcode::Add => arith(table, &name, OvfOp::Add),
            Opcode::Sub => arith(table, &name, OvfOp::Sub),
            Opcode::Mul => arith(table, &name, OvfOp::Mul),
            Opcode::Addi => {
                let mut h = H::new(&name, table);
                let rb = h.read_reg(16, "b");
                let imm = h.imm();
                let at = h.reg_addr(8, "a");
                let ovf = h.error(RESUME_OVERFLOW);
                let v = h.b.ovf(OvfOp::Add, rb, imm, ovf);
                h.b.store(at, 0, v);
                let pc1 = h.next_pc();
                h.dispatch(pc1, &[])
            }
            Opcode::Jlt => branch(table, fetch, lp, &name, ICmp::Slt),
            Opcode::Jeq => branch(table, fetch, lp, &name, ICmp::Eq),
            Opcode::Jne => branch(table, fetch, lp, &name, ICmp::Ne),
            Opcode::Jmp => {
                let mut h = H::new(&name, table);
                let pc1 = h.next_pc();
                let t = h.target();
                h.jump_to(t, pc1, lp)
            }
            Opcode::Mov => {
                let mut h = H::new(&name, table);
                let rb = h.read_reg(16, "b");
                let at = h.reg_addr(8, "a");
                h.b.store(at, 0, rb);
                let pc1 = h.next_pc();
                h.dispatch(pc1, &[])
            }
            Opcode::Movi => {
                let mut h = H::new(&name, table);
                let imm = h.imm();
                let at = h.reg_addr(8, "a");
                h.b.store(at, 0, imm);
                let pc1 = h.next_pc();
                h.dispatch(pc1, &[])
            }
            Opcode::Load | Opcode::Store => {
                let mut h = H::new(&name, table);
                let arr = h.b.input(ARR, I64);
                h.b.name(arr, "arr");
                let alen = h.b.input(ALEN, I64);
                h.b.name(alen, "alen");
                let (idx_shift, idx_name) = if op == Opcode::Load { (16, "b") } else { (8, "a") };
                let idx = h.read_reg(idx_shift, idx_name);
                let inb = h.b.icmp(ICmp::Ult, idx, alen);
                let range = h.error(RESUME_RANGE);
                h.b.guard(inb, range);
                let three = h.c(3);
                let off = h.b.bin(BinOp::Shl, idx, three);
                let elem = h.b.bin(BinOp::Add, arr, off);
                if op == Opcode::Load {
                    let v = h.b.load(I64, elem, 0, false);
                    let at = h.reg_addr(8, "a");
                    h.b.store(at, 0, v);
                } else {
                    let v = h.read_reg(16, "b");
                    h.b.store(elem, 0, v);
                }
                let pc1 = h.next_pc();
                h.dispatch(pc1, &[])
            }
            Opcode::Call => {
                let mut h = H::new(&name, table);
                let send = h.b.input(STACK_END, I64);
                h.b.name(send, "stack_end");
                let nb = h.reg_addr(8, "a");
                h.b.name(nb, "callee");
                let fb = h.c(FRAME_BYTES as i64);
                let top = h.b.bin(BinOp::Add, nb, fb);
                let room = h.b.icmp(ICmp::Ule, top, send);
                let so = h.error(RESUME_STACK);
                h.b.guard(room, so);
                let pc1 = h.next_pc();
                h.b.store(nb, 0, pc1);
                h.b.store(nb, 8, h.base);
                let t = h.target();
                h.dispatch(t, &[(BASE, nb)])
            }
            Opcode::Ret => {
                let mut h = H::new(&name, table);
                let v = h.read_reg(8, "a");
                let rpc = h.b.load(I64, h.base, 0, false);
                h.b.name(rpc, "rpc");
                h.b.promote(rpc);
                let caller = h.b.load(I64, h.base, 8, false);
                h.b.name(caller, "caller");
                let zero = h.c(0);
                let outer = h.b.icmp(ICmp::Eq, caller, zero);
                let halt = h.b.snapshot_to(SnapTo::Host, RESUME_HALT, &[(RESULT, v)]);
                h.b.guard_not(outer, halt);
                h.b.store(h.base, 0, v);
                h.dispatch(rpc, &[(BASE, caller)])
            }
            Opcode::Hash => {
                let mut h = H::new(&name, table);
                let rb = h.read_reg(16, "b");
                let rc = h.read_reg(24, "c");
                let at = h.reg_addr(8, "a");
                let v = h.b.call_hinted(
                    Some(I64),
                    Callee::Symbol(MIX_SYMBOL.to_string()),
                    &[rb, rc],
                    CallEffect::Pure,
                    CallHint::Elidable,
                );
                h.b.store(at, 0, v);
                let pc1 = h.next_pc();
                h.dispatch(pc1, &[])
            }
        };
        pb.define(ops[k], body);
    }
    pb.finish().expect("every fragment declared above is defined")
}

/// The program's text (`print_program`), as checked in at `examples/toyvm/toyvm.tir`.
pub fn program_text() -> String {
    trace_ir::text::print_program(&program())
}

/// The checked-in text.
pub const CHECKED_IN_TEXT: &str = include_str!("../toyvm.tir");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_verifies_and_is_lowerable() {
        let p = program();
        trace_ir::fragment::verify::verify(&p).unwrap();
        assert_eq!(trace_ir::fragment::native::check_lowerable(&p), None);
        assert_eq!(p.slots.len(), SLOTS);
        assert_eq!(p.tables[0].targets.len(), Opcode::ALL.len());
    }

    /// The checked-in text is what the builder makes; `TOYVM_BLESS=1` rewrites it.
    #[test]
    fn the_checked_in_text_is_current() {
        let text = program_text();
        if std::env::var_os("TOYVM_BLESS").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/toyvm.tir"), &text).unwrap();
            return;
        }
        assert!(
            text == CHECKED_IN_TEXT,
            "examples/toyvm/toyvm.tir is stale: rerun with TOYVM_BLESS=1 and commit it"
        );
    }

    #[test]
    fn the_text_parses_back_to_the_same_program() {
        let p = trace_ir::text::parse_program(CHECKED_IN_TEXT).unwrap();
        assert_eq!(trace_ir::text::print_program(&p), CHECKED_IN_TEXT);
        trace_ir::fragment::verify::verify(&p).unwrap();
    }
}

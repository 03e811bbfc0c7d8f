//! Arbitrary traces built from the fuzzer's bytes, including nonsense (operands out of range,
//! missing types, misplaced loop parameters): the verifier and printer never panic, and a
//! trace that verifies prints to text that parses back to the same print and verifies again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_ir::text::{parse, print};
use trace_ir::verify::verify;
use trace_ir::*;

/// Reads the fuzzer's bytes as a stream of small choices; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.byte() as usize % n
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn u64(&mut self) -> u64 {
        (self.u32() as u64) | ((self.u32() as u64) << 32)
    }

    fn ty(&mut self) -> Option<Type> {
        match self.below(8) {
            0 => None,
            k => Type::ALL.get(k - 1).copied().or(Some(Type::I64)),
        }
    }
}

fn build(data: &[u8]) -> Trace {
    let mut b = Bytes(data);
    let n = 1 + b.below(24);
    let nsnaps = b.below(4);
    // Values mostly in range, sometimes one past it, to exercise the range checks.
    let val = |b: &mut Bytes| Value(b.below(n + 1) as u32);
    let snap = |b: &mut Bytes| SnapId(b.below(nsnaps + 1) as u32);
    let mut t = Trace::default();
    for _ in 0..n {
        let op = match b.below(16) {
            0 => Op::Input { slot: b.below(4) as u32 },
            1 => Op::Const { bits: b.u64() >> (b.below(4) * 16) },
            2 => Op::LoopParam { index: b.below(3) as u32 },
            3 => Op::Bin(BinOp::ALL[b.below(BinOp::ALL.len())], val(&mut b), val(&mut b)),
            4 => Op::Un(UnOp::ALL[b.below(UnOp::ALL.len())], val(&mut b)),
            5 => Op::Ovf(OvfOp::ALL[b.below(3)], val(&mut b), val(&mut b), snap(&mut b)),
            6 => Op::ICmp(ICmp::ALL[b.below(ICmp::ALL.len())], val(&mut b), val(&mut b)),
            7 => Op::FCmp(FCmp::ALL[b.below(FCmp::ALL.len())], val(&mut b), val(&mut b)),
            8 => Op::Select(val(&mut b), val(&mut b), val(&mut b)),
            9 => Op::Conv(Conv::ALL[b.below(Conv::ALL.len())], val(&mut b)),
            10 => Op::Load { base: val(&mut b), disp: b.u32() as i32 >> b.below(32), imm: b.byte() & 1 == 1, mem: MemClass::Any },
            11 => Op::Store { base: val(&mut b), disp: b.byte() as i8 as i32, value: val(&mut b), mem: MemClass::Any },
            12 => {
                let callee =
                    if b.byte() & 1 == 0 { Callee::Symbol("f".into()) } else { Callee::Value(val(&mut b)) };
                let args = (0..b.below(4)).map(|_| val(&mut b)).collect();
                let effect = [CallEffect::Any, CallEffect::ReadOnly, CallEffect::Pure][b.below(3)];
                Op::Call { callee, args, effect, hint }
            }
            13 | 14 => Op::Guard { cond: val(&mut b), expect: b.byte() & 1 == 1, snap: snap(&mut b) },
            _ => Op::Nop,
        };
        // Usually the type the op wants, so that some traces verify.
        let ty = match (&op, b.below(4)) {
            (_, 0) => b.ty(),
            (Op::Store { .. } | Op::Guard { .. }, _) => None,
            (Op::ICmp(..) | Op::FCmp(..), _) => Some(Type::I1),
            (Op::Bin(_, a, _) | Op::Un(_, a) | Op::Ovf(_, a, _, _) | Op::Select(_, a, _), _) => t.ty(*a),
            _ => b.ty(),
        };
        let name = if b.byte() & 3 == 0 { Some(format!("v{}", b.below(4))) } else { None };
        t.insts.push(Inst { op, ty, name });
    }
    for _ in 0..nsnaps {
        let entries = (0..b.below(4)).map(|k| (k as u32 * (1 + b.below(2) as u32), val(&mut b))).collect();
        t.snaps.push(Snapshot { resume: b.u64(), entries, to: SnapTo::Host });
    }
    if b.byte() & 1 == 1 {
        let s = t.insts.iter().position(|i| matches!(i.op, Op::LoopParam { .. })).unwrap_or(n);
        t.loop_start = Some(s);
        let params = t.loop_params().len();
        t.loop_inits = (0..params).map(|_| val(&mut b)).collect();
        t.term = Terminator::Jump((0..params).map(|_| val(&mut b)).collect());
    } else if b.byte() & 1 == 1 {
        t.term = Terminator::Link { trace: b.u32(), snap: snap(&mut b) };
    } else {
        t.term = Terminator::Exit(snap(&mut b));
    }
    t
}

fuzz_target!(|data: &[u8]| {
    let t = build(data);
    let p = print(&t);
    if verify(&t).is_ok() {
        let back =
            parse(&p).unwrap_or_else(|e| panic!("a verified trace printed unparseable text: {e}\n{p}"));
        assert_eq!(print(&back), p);
        assert_eq!(verify(&back), Ok(()), "{p}");
    }
});

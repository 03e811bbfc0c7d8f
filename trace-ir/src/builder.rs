//! The builder front ends use to write traces without going through text.
//!
//! It interns constants and infers result types, but does not check anything: run the
//! verifier on what it builds.

use std::collections::HashMap;

use crate::ir::*;
use crate::types::Type;

#[derive(Default)]
pub struct Builder {
    trace: Trace,
    consts: HashMap<(Type, u64), Value>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    pub fn named(name: &str) -> Builder {
        let mut b = Builder::default();
        b.trace.name = Some(name.to_string());
        b
    }

    fn ty(&self, v: Value) -> Option<Type> {
        self.trace.ty(v)
    }

    /// The trace built so far (a trace builder looks at its constants).
    pub fn peek(&self) -> &Trace {
        &self.trace
    }

    /// Appends an instruction and returns its value.
    pub fn push(&mut self, op: Op, ty: Option<Type>) -> Value {
        let v = Value(self.trace.insts.len() as u32);
        self.trace.insts.push(Inst { op, ty, name: None });
        v
    }

    /// Gives `v` a name for dumps.
    pub fn name(&mut self, v: Value, name: &str) -> Value {
        if let Some(i) = self.trace.insts.get_mut(v.index()) {
            i.name = Some(name.to_string());
        }
        v
    }

    pub fn input(&mut self, slot: u32, ty: Type) -> Value {
        self.push(Op::Input { slot }, Some(ty))
    }

    /// An interned constant from raw bits (masked to the type).
    pub fn konst(&mut self, ty: Type, bits: u64) -> Value {
        let bits = bits & ty.mask();
        if let Some(&v) = self.consts.get(&(ty, bits)) {
            return v;
        }
        let v = self.push(Op::Const { bits }, Some(ty));
        self.consts.insert((ty, bits), v);
        v
    }

    pub fn iconst(&mut self, ty: Type, value: i64) -> Value {
        self.konst(ty, value as u64)
    }

    pub fn fconst(&mut self, value: f64) -> Value {
        self.konst(Type::F64, value.to_bits())
    }

    /// Opens the loop: one parameter per initial value, with the initial value's type.
    pub fn begin_loop(&mut self, inits: &[Value]) -> Vec<Value> {
        self.trace.loop_start = Some(self.trace.insts.len());
        self.trace.loop_inits = inits.to_vec();
        inits
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let ty = self.ty(v);
                self.push(Op::LoopParam { index: i as u32 }, ty)
            })
            .collect()
    }

    pub fn bin(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        let ty = self.ty(a);
        self.push(Op::Bin(op, a, b), ty)
    }

    pub fn un(&mut self, op: UnOp, a: Value) -> Value {
        let ty = self.ty(a);
        self.push(Op::Un(op, a), ty)
    }

    pub fn ovf(&mut self, op: OvfOp, a: Value, b: Value, snap: SnapId) -> Value {
        let ty = self.ty(a);
        self.push(Op::Ovf(op, a, b, snap), ty)
    }

    pub fn icmp(&mut self, c: ICmp, a: Value, b: Value) -> Value {
        self.push(Op::ICmp(c, a, b), Some(Type::I1))
    }

    pub fn fcmp(&mut self, c: FCmp, a: Value, b: Value) -> Value {
        self.push(Op::FCmp(c, a, b), Some(Type::I1))
    }

    pub fn select(&mut self, c: Value, a: Value, b: Value) -> Value {
        let ty = self.ty(a);
        self.push(Op::Select(c, a, b), ty)
    }

    pub fn conv(&mut self, c: Conv, a: Value, to: Type) -> Value {
        self.push(Op::Conv(c, a), Some(to))
    }

    pub fn load(&mut self, ty: Type, base: Value, disp: i32, imm: bool) -> Value {
        self.push(Op::Load { base, disp, imm, mem: MemClass::Any }, Some(ty))
    }

    pub fn store(&mut self, base: Value, disp: i32, value: Value) {
        self.push(Op::Store { base, disp, value, mem: MemClass::Any }, None);
    }

    /// A call; `ret` is `None` for a function that returns nothing (the value is then unusable).
    pub fn call(&mut self, ret: Option<Type>, callee: Callee, args: &[Value], effect: CallEffect) -> Value {
        self.push(Op::Call { callee, args: args.to_vec(), effect, hint: CallHint::None }, ret)
    }

    pub fn snapshot(&mut self, resume: u64, entries: &[(u32, Value)]) -> SnapId {
        self.snapshot_to(SnapTo::Host, resume, entries)
    }

    /// A snapshot that sends control to `to` (a fragment or a dispatch) instead of the host.
    pub fn snapshot_to(&mut self, to: SnapTo, resume: u64, entries: &[(u32, Value)]) -> SnapId {
        let mut entries = entries.to_vec();
        entries.sort_by_key(|e| e.0);
        let id = SnapId(self.trace.snaps.len() as u32);
        self.trace.snaps.push(Snapshot { resume, entries, to });
        id
    }

    /// A call with a hint for the trace builder (`elidable`, `outline`).
    pub fn call_hinted(
        &mut self,
        ret: Option<Type>,
        callee: Callee,
        args: &[Value],
        effect: CallEffect,
        hint: CallHint,
    ) -> Value {
        self.push(Op::Call { callee, args: args.to_vec(), effect, hint }, ret)
    }

    /// `promote %v` (fragments): logged while recording, a guarded constant in traces.
    pub fn promote(&mut self, v: Value) {
        self.push(Op::Promote(v), None);
    }

    /// `hint %v` (fragments): logged while recording, an unguarded constant in traces.
    pub fn hint(&mut self, v: Value) {
        self.push(Op::Hint(v), None);
    }

    pub fn guard(&mut self, cond: Value, snap: SnapId) {
        self.push(Op::Guard { cond, expect: true, snap }, None);
    }

    pub fn guard_not(&mut self, cond: Value, snap: SnapId) {
        self.push(Op::Guard { cond, expect: false, snap }, None);
    }

    pub fn jump(mut self, next: &[Value]) -> Trace {
        self.trace.term = Terminator::Jump(next.to_vec());
        self.trace
    }

    pub fn exit(mut self, snap: SnapId) -> Trace {
        self.trace.term = Terminator::Exit(snap);
        self.trace
    }

    pub fn link(mut self, trace: u32, snap: SnapId) -> Trace {
        self.trace.term = Terminator::Link { trace, snap };
        self.trace
    }

    /// Ends with a dispatch (native-interpreter code): see `Terminator::Dispatch`.
    pub fn dispatch(mut self, index: Value, snap: SnapId, targets: &[DispatchTarget]) -> Trace {
        self.trace.term = Terminator::Dispatch { index, snap, targets: targets.to_vec() };
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_interned_per_type_and_bits() {
        let mut b = Builder::new();
        let a = b.iconst(Type::I64, 5);
        let c = b.iconst(Type::I64, 5);
        let d = b.iconst(Type::I32, 5);
        let e = b.iconst(Type::I8, -1);
        assert_eq!(a, c);
        assert_ne!(a, d);
        assert_eq!(b.trace.const_bits(e), Some(0xff));
    }

    #[test]
    fn loop_params_take_their_init_types() {
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let f = b.fconst(1.0);
        let ps = b.begin_loop(&[x, f]);
        let t = b.jump(&ps);
        assert_eq!(t.loop_params(), ps);
        assert_eq!(t.ty(ps[1]), Some(Type::F64));
    }
}

//! The verifier: the rules every pass may assume and every pass must keep.
//!
//! It checks types, definition before use, operand and snapshot indices, snapshot entries,
//! the loop structure and the terminator, and never panics, whatever the trace holds. An
//! error quotes the offending line as the printer writes it.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;

use crate::ir::*;
use crate::text::Printer;
use crate::types::Type;

/// A verifier error, naming the instruction in text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    pub message: String,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VerifyError {}

/// Slots are numbered below this; the exit state and the deopt restore size arrays by slot.
pub const MAX_SLOTS: u32 = 1 << 16;
/// The most arguments a call may take.
pub const MAX_CALL_ARGS: usize = 64;
/// The most entries a `dispatch` terminator's table may have.
pub const MAX_DISPATCH: usize = 1 << 16;

pub fn verify(trace: &Trace) -> Result<(), VerifyError> {
    let v = Verifier::new(trace);
    v.run().map_err(|(loc, msg)| {
        let line = match loc {
            Loc::Inst(i) => v.printer().inst(i),
            Loc::Snap(s) => v.printer().snapshot(s),
            Loc::Loop => v.printer().loop_line(),
            Loc::Term => v.printer().terminator(),
        };
        VerifyError { message: format!("{line}: {msg}") }
    })
}

/// Where an error is, so the message can quote that line.
#[derive(Clone, Copy)]
enum Loc {
    Inst(usize),
    Snap(usize),
    Loop,
    Term,
}

type Check<T = ()> = Result<T, (Loc, String)>;

struct Verifier<'t> {
    t: &'t Trace,
    /// The loop parameters' instruction indices (empty without a loop).
    params: Range<usize>,
    printer: OnceCell<Printer<'t>>,
}

/// Where a value is used, for definition-before-use.
#[derive(Clone, Copy)]
enum Use {
    /// By instruction `i`: non-positionless operands must come before it.
    At(usize),
    /// Before the loop (initial values): loop parameters and the body are not yet defined.
    BeforeLoop(usize),
    /// By the terminator: anything defined.
    End,
}

fn int_not_i1(t: Type) -> bool {
    t.is_int() && t != Type::I1
}

impl<'t> Verifier<'t> {
    fn new(t: &'t Trace) -> Verifier<'t> {
        let params = match t.loop_start {
            Some(s) => {
                let n = t
                    .insts
                    .get(s..)
                    .map_or(0, |r| r.iter().take_while(|i| matches!(i.op, Op::LoopParam { .. })).count());
                s..s + n
            }
            None => 0..0,
        };
        Verifier { t, params, printer: OnceCell::new() }
    }

    fn printer(&self) -> &Printer<'t> {
        self.printer.get_or_init(|| Printer::new(self.t))
    }

    fn name(&self, v: Value) -> String {
        self.printer().value(v)
    }

    fn run(&self) -> Check {
        for s in 0..self.t.snaps.len() {
            self.snapshot(s)?;
        }
        self.loop_structure()?;
        let mut consts: HashMap<(Option<Type>, u64), usize> = HashMap::new();
        for i in 0..self.t.insts.len() {
            self.inst(i, &mut consts)?;
        }
        self.terminator()
    }

    /// The type of operand `v` used at `at`: in range, a value, defined before the use.
    fn operand(&self, loc: Loc, v: Value, at: Use) -> Check<Type> {
        let Some(def) = self.t.insts.get(v.index()) else {
            return Err((
                loc,
                format!(
                    "operand {} is out of range (the trace has {} instructions)",
                    self.name(v),
                    self.t.insts.len()
                ),
            ));
        };
        let ty = match (&def.op, def.ty) {
            (Op::Store { .. } | Op::Guard { .. } | Op::Promote(_) | Op::Hint(_) | Op::Nop, _) | (_, None) => {
                return Err((loc, format!("operand {} does not define a value", self.name(v))));
            }
            (_, Some(ty)) => ty,
        };
        if def.op.is_positionless() {
            return Ok(ty);
        }
        let is_param = matches!(def.op, Op::LoopParam { .. });
        let ok = match at {
            Use::At(i) => v.index() < i,
            Use::BeforeLoop(s) => v.index() < s && !is_param,
            Use::End => true,
        };
        if !ok {
            let what = match at {
                Use::BeforeLoop(_) => "is not defined before the loop",
                _ => "is used before its definition",
            };
            return Err((loc, format!("operand {} {what}", self.name(v))));
        }
        Ok(ty)
    }

    fn snap_id(&self, loc: Loc, s: SnapId) -> Check<&'t Snapshot> {
        self.t.snaps.get(s.index()).ok_or_else(|| {
            (loc, format!("snap{} is out of range (the trace has {} snapshots)", s.0, self.t.snaps.len()))
        })
    }

    /// A snapshot on its own: sorted unique slots in range, entries that are values.
    fn snapshot(&self, s: usize) -> Check {
        let loc = Loc::Snap(s);
        let Some(snap) = self.t.snaps.get(s) else { return Ok(()) };
        if let SnapTo::Dispatch { slot, .. } = snap.to {
            if slot >= MAX_SLOTS {
                return Err((
                    loc,
                    format!("dispatch slot {slot} is out of range (slots are below {MAX_SLOTS})"),
                ));
            }
        }
        let mut prev: Option<u32> = None;
        for &(slot, v) in &snap.entries {
            if slot >= MAX_SLOTS {
                return Err((loc, format!("slot {slot} is out of range (slots are below {MAX_SLOTS})")));
            }
            if let Some(p) = prev {
                if slot == p {
                    return Err((loc, format!("slot {slot} appears twice")));
                }
                if slot < p {
                    return Err((loc, format!("slots are not sorted ({slot} after {p})")));
                }
            }
            prev = Some(slot);
            self.operand(loc, v, Use::End)?;
        }
        Ok(())
    }

    /// A snapshot used at `at`: every entry is defined there.
    fn snapshot_use(&self, loc: Loc, s: SnapId, at: Use) -> Check {
        let snap = self.snap_id(loc, s)?;
        for &(slot, v) in &snap.entries {
            self.operand(loc, v, at).map_err(|(loc, m)| (loc, format!("snap{} slot {slot}: {m}", s.0)))?;
        }
        Ok(())
    }

    fn loop_structure(&self) -> Check {
        let t = self.t;
        let Some(s) = t.loop_start else {
            if !t.loop_inits.is_empty() {
                return Err((Loc::Term, "the trace has loop initial values but no loop".into()));
            }
            return Ok(());
        };
        if s > t.insts.len() {
            return Err((
                Loc::Loop,
                format!("loop_start {s} is beyond the last instruction ({})", t.insts.len()),
            ));
        }
        if self.params.len() != t.loop_inits.len() {
            return Err((
                Loc::Loop,
                format!("{} loop parameters but {} initial values", self.params.len(), t.loop_inits.len()),
            ));
        }
        for (k, (p, &init)) in self.params.clone().zip(&t.loop_inits).enumerate() {
            let init_ty = self.operand(Loc::Loop, init, Use::BeforeLoop(s))?;
            let Some(inst) = t.insts.get(p) else { continue };
            if inst.op != (Op::LoopParam { index: k as u32 }) {
                return Err((
                    Loc::Inst(p),
                    format!("loop parameter {k} has index {}", param_index(&inst.op)),
                ));
            }
            if inst.ty != Some(init_ty) {
                return Err((
                    Loc::Loop,
                    format!(
                        "loop parameter {} has type {} but its initial value {} is {init_ty}",
                        self.name(Value(p as u32)),
                        ty_str(inst.ty),
                        self.name(init)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn inst(&self, i: usize, consts: &mut HashMap<(Option<Type>, u64), usize>) -> Check {
        let Some(inst) = self.t.insts.get(i) else { return Ok(()) };
        let loc = Loc::Inst(i);
        let at = Use::At(i);
        let ty = inst.ty;
        let op = |v: Value| self.operand(loc, v, at);
        let fail = |m: String| Err((loc, m));
        // The result type an op must have, when it has one.
        let want = |expected: Option<Type>, what: &str| -> Check {
            if ty == expected {
                Ok(())
            } else {
                Err((loc, format!("result type is {} but {what} gives {}", ty_str(ty), ty_str(expected))))
            }
        };
        match &inst.op {
            Op::Nop => return fail("nop is not allowed in a verified trace (run `Trace::compact`)".into()),
            Op::Input { slot } => {
                if ty.is_none() {
                    return fail("an input needs a type".into());
                }
                if *slot >= MAX_SLOTS {
                    return fail(format!("slot {slot} is out of range (slots are below {MAX_SLOTS})"));
                }
            }
            Op::Const { bits } => {
                let Some(t) = ty else { return fail("a constant needs a type".into()) };
                if bits & !t.mask() != 0 {
                    return fail(format!("bits {bits:#x} do not fit {t} (constants are zero-extended)"));
                }
                if let Some(&first) = consts.get(&(ty, *bits)) {
                    return fail(format!(
                        "duplicates the constant {} (constants are interned)",
                        self.name(Value(first as u32))
                    ));
                }
                consts.insert((ty, *bits), i);
            }
            Op::LoopParam { .. } => {
                if !self.params.contains(&i) {
                    return fail("a loop parameter outside the loop header".into());
                }
            }
            Op::Bin(b, x, y) => {
                let (tx, ty_) = (op(*x)?, op(*y)?);
                if tx != ty_ {
                    return fail(format!("operands have different types ({tx}, {ty_})"));
                }
                if b.is_float() && tx != Type::F64 {
                    return fail(format!("`{}` needs f64 operands, not {tx}", b.name()));
                }
                if !b.is_float() && !tx.is_int() {
                    return fail(format!("`{}` needs integer operands, not {tx}", b.name()));
                }
                want(Some(tx), &format!("`{}` of {tx}", b.name()))?;
            }
            Op::Un(u, x) => {
                let tx = op(*x)?;
                if u.is_float() && tx != Type::F64 {
                    return fail(format!("`{}` needs an f64 operand, not {tx}", u.name()));
                }
                if !u.is_float() && !tx.is_int() {
                    return fail(format!("`{}` needs an integer operand, not {tx}", u.name()));
                }
                want(Some(tx), &format!("`{}` of {tx}", u.name()))?;
            }
            Op::Ovf(o, x, y, s) => {
                let (tx, ty_) = (op(*x)?, op(*y)?);
                if tx != ty_ {
                    return fail(format!("operands have different types ({tx}, {ty_})"));
                }
                if !int_not_i1(tx) {
                    return fail(format!("`{}` needs i8, i16, i32 or i64 operands, not {tx}", o.name()));
                }
                want(Some(tx), &format!("`{}` of {tx}", o.name()))?;
                self.snapshot_use(loc, *s, at)?;
            }
            Op::ICmp(_, x, y) => {
                let (tx, ty_) = (op(*x)?, op(*y)?);
                if tx != ty_ {
                    return fail(format!("operands have different types ({tx}, {ty_})"));
                }
                if !tx.is_int() {
                    return fail(format!("`icmp` needs integer operands, not {tx}"));
                }
                want(Some(Type::I1), "a comparison")?;
            }
            Op::FCmp(_, x, y) => {
                let (tx, ty_) = (op(*x)?, op(*y)?);
                if tx != ty_ {
                    return fail(format!("operands have different types ({tx}, {ty_})"));
                }
                if tx != Type::F64 {
                    return fail(format!("`fcmp` needs f64 operands, not {tx}"));
                }
                want(Some(Type::I1), "a comparison")?;
            }
            Op::Select(c, x, y) => {
                let tc = op(*c)?;
                let (tx, ty_) = (op(*x)?, op(*y)?);
                if tc != Type::I1 {
                    return fail(format!("the condition is {tc}, not i1"));
                }
                if tx != ty_ {
                    return fail(format!("the arms have different types ({tx}, {ty_})"));
                }
                want(Some(tx), &format!("`select` of {tx}"))?;
            }
            Op::Conv(c, x) => {
                let from = op(*x)?;
                let Some(to) = ty else { return fail(format!("`{}` needs a result type", c.name())) };
                let ok = match c {
                    Conv::ZExt | Conv::SExt => from.is_int() && to.is_int() && to.bits() > from.bits(),
                    Conv::Trunc => from.is_int() && to.is_int() && to.bits() < from.bits(),
                    Conv::SIToFP => int_not_i1(from) && to == Type::F64,
                    Conv::FPToSI => from == Type::F64 && int_not_i1(to),
                    Conv::Bitcast => {
                        (from == Type::I64 && to == Type::F64) || (from == Type::F64 && to == Type::I64)
                    }
                };
                if !ok {
                    let rule = match c {
                        Conv::ZExt | Conv::SExt => "strictly widens an integer",
                        Conv::Trunc => "strictly narrows an integer",
                        Conv::SIToFP => "converts i8, i16, i32 or i64 to f64",
                        Conv::FPToSI => "converts f64 to i8, i16, i32 or i64",
                        Conv::Bitcast => "converts between i64 and f64",
                    };
                    return fail(format!("`{}` {rule}, not {from} to {to}", c.name()));
                }
            }
            Op::Load { base, .. } => {
                let tb = op(*base)?;
                if tb != Type::I64 {
                    return fail(format!("the base address is {tb}, not i64"));
                }
                match ty {
                    None => return fail("a load needs a result type".into()),
                    Some(Type::I1) => return fail("i1 never goes to memory".into()),
                    Some(_) => {}
                }
            }
            Op::Store { base, value, .. } => {
                let tb = op(*base)?;
                let tv = op(*value)?;
                if tb != Type::I64 {
                    return fail(format!("the base address is {tb}, not i64"));
                }
                if tv == Type::I1 {
                    return fail("i1 never goes to memory".into());
                }
                want(None, "a store")?;
            }
            Op::Call { callee, args, .. } => {
                match callee {
                    Callee::Value(c) => {
                        let tc = op(*c)?;
                        if tc != Type::I64 {
                            return fail(format!("the callee address is {tc}, not i64"));
                        }
                    }
                    Callee::Symbol(s) => {
                        if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c))
                        {
                            return fail(format!(
                                "symbol {s:?} is not a valid name (letters, digits, `_`, `.`, `$`)"
                            ));
                        }
                    }
                }
                if args.len() > MAX_CALL_ARGS {
                    return fail(format!("{} arguments, at most {MAX_CALL_ARGS}", args.len()));
                }
                for &a in args {
                    op(a)?;
                }
                if ty == Some(Type::I1) {
                    return fail("a call does not return i1".into());
                }
            }
            Op::Guard { cond, snap, .. } => {
                let tc = op(*cond)?;
                if tc != Type::I1 {
                    return fail(format!("the condition is {tc}, not i1"));
                }
                want(None, "a guard")?;
                self.snapshot_use(loc, *snap, at)?;
            }
            Op::Promote(x) | Op::Hint(x) => {
                let tx = op(*x)?;
                if tx == Type::I1 {
                    return fail("promote and hint take an integer or f64 value, not i1".into());
                }
                want(None, "a promote or hint")?;
            }
        }
        Ok(())
    }

    fn terminator(&self) -> Check {
        let t = self.t;
        match &t.term {
            Terminator::Jump(args) => {
                if t.loop_start.is_none() {
                    return Err((Loc::Term, "`jump` needs a loop; leave with `exit` or `link`".into()));
                }
                if args.len() != self.params.len() {
                    return Err((
                        Loc::Term,
                        format!("{} arguments for {} loop parameters", args.len(), self.params.len()),
                    ));
                }
                for (k, (&a, p)) in args.iter().zip(self.params.clone()).enumerate() {
                    let ta = self.operand(Loc::Term, a, Use::End)?;
                    let tp = t.insts.get(p).and_then(|i| i.ty);
                    if tp != Some(ta) {
                        return Err((
                            Loc::Term,
                            format!(
                                "argument {k} ({}) is {ta} but loop parameter {} is {}",
                                self.name(a),
                                self.name(Value(p as u32)),
                                ty_str(tp)
                            ),
                        ));
                    }
                }
            }
            Terminator::Exit(s) | Terminator::Link { snap: s, .. } => {
                if t.loop_start.is_some() {
                    return Err((Loc::Term, "a loop must end with `jump`".into()));
                }
                self.snapshot_use(Loc::Term, *s, Use::End)?;
            }
            Terminator::Dispatch { index, snap, targets } => {
                if t.loop_start.is_some() {
                    return Err((Loc::Term, "a loop must end with `jump`".into()));
                }
                let ti = self.operand(Loc::Term, *index, Use::End)?;
                if !ti.is_int() || ti == Type::I1 {
                    return Err((Loc::Term, format!("the dispatch index is {ti}, not an integer")));
                }
                if targets.len() > MAX_DISPATCH {
                    return Err((
                        Loc::Term,
                        format!("a dispatch table of {} entries, at most {MAX_DISPATCH}", targets.len()),
                    ));
                }
                self.snapshot_use(Loc::Term, *snap, Use::End)?;
                for d in targets {
                    if let DispatchTarget::Exit(s) = d {
                        self.snapshot_use(Loc::Term, *s, Use::End)?;
                        // The slots are written before the jump, so an entry that leaves
                        // must leave with the same state.
                        let (a, b) = (&t.snaps[s.index()], &t.snaps[snap.index()]);
                        if a.entries != b.entries {
                            return Err((
                                Loc::Term,
                                format!(
                                    "dispatch entry snap{} writes other slots or values than snap{}",
                                    s.0, snap.0
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn ty_str(t: Option<Type>) -> &'static str {
    t.map_or("no type", Type::name)
}

fn param_index(op: &Op) -> String {
    match op {
        Op::LoopParam { index } => index.to_string(),
        _ => "?".into(),
    }
}

//! Live ranges over instruction positions.
//!
//! Every positioned instruction `i` has two positions: `early(i)`, where it reads its operands,
//! and `late(i)`, where it writes its result and where the snapshot it may leave through is
//! read (the exit happens after the result is written, as in `add; jo`). Inputs are defined at
//! `ENTRY`, before everything. Loop inits are read at `early(loop_start)` and every loop
//! parameter is defined at `late(loop_start)`, which makes the preheader one parallel move.
//! The terminator reads its jump arguments and snapshot at `early(insts.len())`, the back edge.
//!
//! A range is `[start, end]`. Two values may share a location exactly when their ranges are
//! disjoint, so a result may take the register of an operand that dies at its instruction,
//! but not one a snapshot of the same instruction still reads.

use super::AllocError;
use crate::ir::{Op, Terminator, Trace, Value};

/// Where inputs are defined (the trace's entry).
pub(crate) const ENTRY: u32 = 1;

/// Marks a value that needs no location.
pub(crate) const DEAD: u32 = u32::MAX;

pub(crate) fn early(i: usize) -> u32 {
    2 * i as u32 + 2
}

pub(crate) fn late(i: usize) -> u32 {
    2 * i as u32 + 3
}

/// The live ranges of one trace.
pub(crate) struct Liveness {
    /// Per value: where its range starts, or `DEAD` when it needs no location (unused, or a
    /// constant).
    pub start: Vec<u32>,
    /// Per value: where its range ends (its last use, or the back edge).
    pub end: Vec<u32>,
    /// Use positions per value, sorted: `use_pos[use_off[v]..use_off[v + 1]]`.
    pub use_off: Vec<u32>,
    pub use_pos: Vec<u32>,
    /// The values that need a location, by start position.
    pub order: Vec<Value>,
    /// `early(loop_start)` when the trace loops back.
    pub loop_pos: Option<u32>,
    /// `early(loop_start)`, where the loop inits are read, when the loop has parameters.
    pub init_pos: Option<u32>,
    /// The position of the terminator.
    pub back_edge: u32,
    /// The loop parameters, in order.
    pub params: Vec<Value>,
}

impl Liveness {
    pub fn uses(&self, v: Value) -> &[u32] {
        let i = v.index();
        &self.use_pos[self.use_off[i] as usize..self.use_off[i + 1] as usize]
    }

    /// True for uses that need the value in a register: operands. Snapshot entries, loop inits
    /// and jump arguments can be read from a spill slot as they are.
    pub fn is_reg_use(&self, p: u32) -> bool {
        p & 1 == 0 && p < self.back_edge && Some(p) != self.init_pos
    }

    pub fn is_live(&self, v: Value) -> bool {
        self.start.get(v.index()).is_some_and(|&s| s != DEAD)
    }
}

fn invalid(msg: String) -> AllocError {
    AllocError::Unsatisfiable(format!("invalid trace: {msg}"))
}

/// Visits every use of the trace in position order as `(value, position)`. Loop inits and
/// jump arguments of parameters in `dead_params` are skipped.
fn visit_uses(
    trace: &Trace,
    params: &[Value],
    dead_params: &[bool],
    mut f: impl FnMut(Value, u32),
) -> Result<(), AllocError> {
    let n = trace.insts.len();
    let snap_uses = |s: crate::ir::SnapId, pos: u32, f: &mut dyn FnMut(Value, u32)| {
        let snap = trace.snaps.get(s.index()).ok_or_else(|| invalid(format!("no snapshot snap{}", s.0)))?;
        for &(_, v) in &snap.entries {
            f(v, pos);
        }
        Ok::<(), AllocError>(())
    };
    for (i, inst) in trace.insts.iter().enumerate() {
        if Some(i) == trace.loop_start {
            for (k, &v) in trace.loop_inits.iter().enumerate() {
                if !dead_params.get(k).copied().unwrap_or(false) {
                    f(v, early(i));
                }
            }
        }
        if inst.op.is_positionless() {
            continue;
        }
        inst.op.visit_operands(|v| f(v, early(i)));
        if let Some(s) = inst.op.snap() {
            snap_uses(s, late(i), &mut f)?;
        }
    }
    match &trace.term {
        Terminator::Jump(args) => {
            if args.len() != params.len() {
                return Err(invalid(format!(
                    "jump has {} values for {} loop parameters",
                    args.len(),
                    params.len()
                )));
            }
            for (k, &v) in args.iter().enumerate() {
                if !dead_params[k] {
                    f(v, early(n));
                }
            }
        }
        Terminator::Exit(s) | Terminator::Link { snap: s, .. } => snap_uses(*s, early(n), &mut f)?,
        Terminator::Dispatch { index, .. } => {
            f(*index, early(n));
            for s in trace.term.exit_snaps() {
                snap_uses(s, early(n), &mut f)?;
            }
        }
    }
    Ok(())
}

/// Computes the live range of every value of `trace`.
pub(crate) fn compute(trace: &Trace) -> Result<Liveness, AllocError> {
    let n = trace.insts.len();
    if n >= (u32::MAX / 2 - 2) as usize {
        return Err(invalid(format!("{n} instructions are too many")));
    }
    let back_edge = early(n);
    let params = trace.loop_params();
    let loops = matches!(trace.term, Terminator::Jump(_));
    match trace.loop_start {
        Some(s) if s > n => return Err(invalid(format!("loop starts at {s}, past the end"))),
        Some(_) if params.len() != trace.loop_inits.len() => {
            return Err(invalid(format!(
                "{} loop inits for {} loop parameters",
                trace.loop_inits.len(),
                params.len()
            )))
        }
        None if loops => return Err(invalid("jump without a loop".into())),
        _ => {}
    }

    // Count uses, then check that every used value exists and has a type.
    let mut count = vec![0u32; n + 1];
    let mut bad: Option<Value> = None;
    let no_dead = vec![false; params.len()];
    visit_uses(trace, &params, &no_dead, |v, _| match count.get_mut(v.index()) {
        Some(c) if v.index() < n => *c += 1,
        _ => bad = Some(v),
    })?;
    if let Some(v) = bad {
        return Err(invalid(format!("use of %{} beyond the {n} instructions", v.0)));
    }
    for (i, &c) in count.iter().enumerate().take(n) {
        let inst = &trace.insts[i];
        if c > 0 && (inst.ty.is_none() || inst.op == Op::Nop) {
            return Err(invalid(format!("%{i} is used but defines no value")));
        }
    }

    // A parameter nobody reads needs neither its init nor its jump argument.
    let dead_params: Vec<bool> = params.iter().map(|p| count[p.index()] == 0).collect();
    if dead_params.iter().any(|&d| d) {
        count.iter_mut().for_each(|c| *c = 0);
        visit_uses(trace, &params, &dead_params, |v, _| count[v.index()] += 1)?;
    }

    let mut use_off = Vec::with_capacity(n + 1);
    let mut total = 0u32;
    for &c in &count[..n] {
        use_off.push(total);
        total += c;
    }
    use_off.push(total);
    let mut use_pos = vec![0u32; total as usize];
    let mut fill: Vec<u32> = use_off[..n].to_vec();
    let mut end = vec![0u32; n];
    visit_uses(trace, &params, &dead_params, |v, pos| {
        let i = v.index();
        use_pos[fill[i] as usize] = pos;
        fill[i] += 1;
        end[i] = pos;
    })?;

    let loop_pos = trace.loop_start.filter(|_| loops).map(early);
    // Only parameters take inits. Without them the body starts at the header, and the reads
    // at `early(loop_start)` are the first body instruction's operands, inside the loop.
    let init_pos = trace.loop_start.filter(|_| !params.is_empty()).map(early);
    let mut start = vec![DEAD; n];
    for (i, inst) in trace.insts.iter().enumerate() {
        if count[i] == 0 {
            continue;
        }
        start[i] = match inst.op {
            Op::Const { .. } => continue,
            Op::Input { .. } => ENTRY,
            // Parameters are written by the preheader's parallel move.
            Op::LoopParam { .. } => late(trace.loop_start.unwrap_or(i)),
            _ => late(i),
        };
        let first_use = use_pos[use_off[i] as usize];
        if first_use <= start[i] {
            return Err(invalid(format!("%{i} is used before its definition")));
        }
        if let Some(lp) = loop_pos {
            // Defined before the loop and read inside it: needed again on every iteration.
            if start[i] < lp && (end[i] > lp || (end[i] == lp && init_pos.is_none())) {
                end[i] = back_edge;
            }
        }
    }
    let mut order: Vec<Value> = (0..n).filter(|&i| start[i] != DEAD).map(|i| Value(i as u32)).collect();
    // Stable: ties keep instruction order, so loop parameters stay in parameter order.
    order.sort_by_key(|v| start[v.index()]);
    Ok(Liveness { start, end, use_off, use_pos, order, loop_pos, init_pos, back_edge, params })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::Builder;
    use crate::ir::{BinOp, ICmp, OvfOp};
    use crate::types::Type;

    #[test]
    fn ranges_of_a_counting_loop() {
        let mut b = Builder::new();
        let n = b.input(0, Type::I64); // 0
        let zero = b.iconst(Type::I64, 0); // 1
        let one = b.iconst(Type::I64, 1); // 2
        let unused = b.input(1, Type::I64); // 3
        let ps = b.begin_loop(&[zero, zero]); // 4, 5
        let (i, acc) = (ps[0], ps[1]);
        let c = b.icmp(ICmp::Slt, i, n); // 6
        let s = b.snapshot(7, &[(0, i), (1, acc)]);
        b.guard(c, s); // 7
        let acc1 = b.bin(BinOp::Add, acc, i); // 8
        let i1 = b.ovf(OvfOp::Add, i, one, s); // 9
        let t = b.jump(&[i1, acc1]);
        let lv = compute(&t).unwrap();
        assert_eq!((lv.start[n.index()], lv.end[n.index()]), (ENTRY, early(10)), "input read in loop");
        assert_eq!(lv.start[zero.index()], DEAD, "constants take no location");
        assert_eq!(lv.start[unused.index()], DEAD);
        assert_eq!((lv.start[i.index()], lv.end[i.index()]), (late(4), late(9)), "snapshot of the ovf op");
        assert_eq!((lv.start[acc.index()], lv.end[acc.index()]), (late(4), late(9)));
        assert_eq!(lv.start[ps[1].index()], late(4), "all params start together");
        assert_eq!((lv.start[c.index()], lv.end[c.index()]), (late(6), early(7)));
        assert_eq!((lv.start[i1.index()], lv.end[i1.index()]), (late(9), early(10)));
        assert_eq!(lv.uses(i), &[early(6), late(7), early(8), early(9), late(9)]);
        assert_eq!(lv.order.first(), Some(&n));
    }

    #[test]
    fn dead_param_drops_its_init_and_jump_argument() {
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let y = b.input(1, Type::I64);
        let ps = b.begin_loop(&[x, y]);
        let s = b.snapshot(0, &[(0, ps[0])]);
        let c = b.icmp(ICmp::Eq, ps[0], x);
        b.guard(c, s);
        let t = b.jump(&[ps[0], y]);
        let lv = compute(&t).unwrap();
        assert!(!lv.is_live(ps[1]));
        assert!(!lv.is_live(y), "only feeds the dead parameter");
        assert_eq!(lv.end[ps[0].index()], early(t.insts.len()));
    }

    #[test]
    fn malformed_traces_are_errors() {
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let s = b.snapshot(0, &[(0, Value(99))]);
        let _ = x;
        let t = b.exit(s);
        assert!(matches!(compute(&t), Err(AllocError::Unsatisfiable(_))));
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let t = b.jump(&[x]);
        assert!(compute(&t).is_err());
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let _ = b.begin_loop(&[x]);
        let t = b.jump(&[]);
        assert!(compute(&t).is_err());
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        b.store(x, 0, x);
        let s = b.snapshot(0, &[(0, Value(1))]);
        let t = b.exit(s);
        assert!(compute(&t).is_err(), "a store defines no value");
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let y = b.bin(BinOp::Add, x, Value(2));
        let z = b.bin(BinOp::Add, y, x);
        let s = b.snapshot(0, &[(0, z)]);
        let t = b.exit(s);
        assert!(compute(&t).is_err(), "use before definition");
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let _ = b.begin_loop(&[Value(1)]);
        let t = b.jump(&[x]);
        assert!(compute(&t).is_err(), "a parameter as its own init");
    }
}

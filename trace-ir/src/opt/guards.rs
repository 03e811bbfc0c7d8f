//! Redundant guard removal.
//!
//! A guard goes when its condition is a constant that holds, or when an earlier guard (which
//! runs before it on every path, the trace being linear) already checked the same fact. Facts
//! about integer comparisons are normalized, so `guard.not (icmp.eq a, b)` and
//! `guard (icmp.ne b, a)` are the same fact. A guard whose constant condition always fails
//! stays: it is where the trace really leaves.

use std::collections::HashSet;

use super::Rewrite;
use crate::ir::*;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Fact {
    /// `icmp c, a, b` is true.
    ICmp(ICmp, Value, Value),
    /// `cond` is `expect`.
    Value(Value, bool),
}

fn fact(trace: &Trace, cond: Value, expect: bool) -> Fact {
    match trace.insts.get(cond.index()).map(|i| &i.op) {
        Some(&Op::ICmp(c, a, b)) => {
            let c = if expect { c } else { c.inverse() };
            if b < a {
                Fact::ICmp(c.swapped(), b, a)
            } else {
                Fact::ICmp(c, a, b)
            }
        }
        _ => Fact::Value(cond, expect),
    }
}

pub fn guards(trace: &mut Trace) {
    let mut rw = Rewrite::new(trace);
    let mut known: HashSet<Fact> = HashSet::new();
    for i in 0..trace.insts.len() {
        rw.resolve_operands(trace, i);
        let Op::Guard { cond, expect, .. } = trace.insts[i].op else { continue };
        if let Some(bits) = trace.const_bits(cond) {
            if (bits != 0) == expect {
                rw.remove(trace, i);
            }
            continue;
        }
        if !known.insert(fact(trace, cond, expect)) {
            rw.remove(trace, i);
        }
    }
    rw.finish(trace);
}

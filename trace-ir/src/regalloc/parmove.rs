//! Parallel moves: a set of moves that happen at once (the preheader, the back edge, call
//! arguments) turned into a sequence that a backend can emit one by one.
//!
//! A move is emitted once nothing still pending reads its destination. When every pending
//! destination is still read, what remains are disjoint cycles; one is broken by saving a
//! destination's value in the class's first scratch register and reading it from there.
//! Constant sources read no location, so they go last.

use std::collections::{HashMap, HashSet};

use super::{Loc, Move, Reg, RegClass, RegFile};

fn scratch(rf: &RegFile, class: RegClass) -> Loc {
    let hw = match class {
        RegClass::Gpr => rf.scratch_gprs.first(),
        RegClass::Fpr => rf.scratch_fprs.first(),
    };
    // `allocate` refuses a register file without scratch registers before getting here.
    Loc::Reg(Reg { class, hw: hw.copied().unwrap_or(0) })
}

/// Sequences the parallel move `moves` (destinations distinct, else the first move to a
/// destination wins; sources `Reg`, `Spill` or `Const` but not the cycle scratch registers;
/// destinations `Reg` or `Spill`). Self-moves are dropped, and so are moves to or
/// from `Loc::None` and moves to a constant. Cycles go through `scratch_gprs[0]` or
/// `scratch_fprs[0]` (of the class of the move that reads the saved value). Memory-to-memory
/// moves may appear in the result.
pub fn sequentialize(moves: &[Move], rf: &RegFile) -> Vec<Move> {
    let mut out = Vec::with_capacity(moves.len() + 1);
    let mut consts = Vec::new();
    // Pending moves between locations.
    let mut pending: Vec<Move> = Vec::with_capacity(moves.len());
    let mut written: HashSet<Loc> = HashSet::with_capacity(moves.len());
    for &m in moves {
        // A second write to one destination is a caller's mistake: the first one wins.
        if !written.insert(m.to) {
            continue;
        }
        match (m.from, m.to) {
            (_, Loc::None | Loc::Const(_)) | (Loc::None, _) => {}
            (Loc::Const(_), _) => consts.push(m),
            (a, b) if a == b => {}
            _ => pending.push(m),
        }
    }
    // How many pending moves read each location, and which move writes it.
    let mut readers: HashMap<Loc, u32> = HashMap::with_capacity(pending.len());
    let mut writer: HashMap<Loc, usize> = HashMap::with_capacity(pending.len());
    for (i, m) in pending.iter().enumerate() {
        *readers.entry(m.from).or_default() += 1;
        writer.insert(m.to, i);
    }
    let mut done = vec![false; pending.len()];
    let mut ready: Vec<usize> =
        (0..pending.len()).filter(|&i| !readers.contains_key(&pending[i].to)).collect();
    let mut left = pending.len();
    let mut next_unblocked = 0;
    while left > 0 {
        while let Some(i) = ready.pop() {
            let m = pending[i];
            out.push(m);
            done[i] = true;
            left -= 1;
            let r = readers.get_mut(&m.from).expect("counted");
            *r -= 1;
            if *r == 0 {
                readers.remove(&m.from);
                if let Some(&w) = writer.get(&m.from) {
                    if !done[w] {
                        ready.push(w);
                    }
                }
            }
        }
        if left == 0 {
            break;
        }
        // Only cycles remain: save one destination's value and read it from the scratch.
        while done[next_unblocked] {
            next_unblocked += 1;
        }
        let blocked = pending[next_unblocked].to;
        let reader = (0..pending.len())
            .find(|&j| !done[j] && pending[j].from == blocked)
            .expect("a blocked destination has a pending reader");
        let class = pending[reader].class;
        let tmp = scratch(rf, class);
        out.push(Move { from: blocked, to: tmp, class });
        pending[reader].from = tmp;
        readers.remove(&blocked);
        readers.insert(tmp, 1);
        ready.push(next_unblocked);
    }
    out.extend(consts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn rf() -> RegFile {
        RegFile {
            gprs: vec![0, 1, 2, 3, 4, 5],
            fprs: vec![0, 1, 2, 3],
            caller_saved_gprs: vec![],
            caller_saved_fprs: vec![],
            arg_gprs: vec![],
            arg_fprs: vec![],
            ret_gpr: 0,
            ret_fpr: 0,
            scratch_gprs: vec![14, 15],
            scratch_fprs: vec![14, 15],
            gpr_names: &[],
            fpr_names: &[],
            constraints: |_, _| Default::default(),
        }
    }

    /// Runs `seq` on a machine where every location starts holding its own name, and returns
    /// what each location of interest holds afterwards.
    fn simulate(seq: &[Move]) -> HashMap<Loc, Loc> {
        let mut state: HashMap<Loc, Loc> = HashMap::new();
        let get = |s: &HashMap<Loc, Loc>, l: Loc| match l {
            Loc::Const(_) => l,
            _ => s.get(&l).copied().unwrap_or(l),
        };
        for m in seq {
            let v = get(&state, m.from);
            state.insert(m.to, v);
        }
        state
    }

    fn check(moves: &[Move]) {
        let seq = sequentialize(moves, &rf());
        let after = simulate(&seq);
        for m in moves {
            let got = after.get(&m.to).copied().unwrap_or(m.to);
            assert_eq!(got, m.from, "{moves:?} sequenced as {seq:?}");
        }
        // Nothing else changed, except the scratch registers.
        for (l, v) in &after {
            let scratch = matches!(l, Loc::Reg(r) if r.hw >= 14);
            if !scratch && !moves.iter().any(|m| m.to == *l) {
                assert_eq!(v, l, "{l:?} was clobbered by {seq:?}");
            }
        }
        assert!(seq.iter().all(|m| m.from != m.to));
        let cycles = seq.iter().filter(|m| matches!(m.to, Loc::Reg(r) if r.hw >= 14)).count();
        assert!(seq.len() <= moves.len() + cycles);
    }

    fn loc(k: usize) -> Loc {
        // Mix registers of both classes and spill slots.
        match k % 3 {
            0 => Loc::Reg(Reg::gpr(k as u8)),
            1 => Loc::Spill(k as u32),
            _ => Loc::Reg(Reg::fpr(k as u8)),
        }
    }

    fn class_of(l: Loc) -> RegClass {
        match l {
            Loc::Reg(r) => r.class,
            _ => RegClass::Gpr,
        }
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for at in 0..=p.len() {
                let mut q = p.clone();
                q.insert(at, n - 1);
                out.push(q);
            }
        }
        out
    }

    #[test]
    fn every_permutation_of_up_to_five_locations() {
        for n in 1..=5 {
            for p in permutations(n) {
                // Same-class permutations (registers and spill slots of one class).
                let moves: Vec<Move> = (0..n)
                    .map(|i| {
                        let l = |k: usize| {
                            if k & 1 == 0 {
                                Loc::Reg(Reg::gpr(k as u8))
                            } else {
                                Loc::Spill(k as u32)
                            }
                        };
                        Move { from: l(p[i]), to: l(i), class: RegClass::Gpr }
                    })
                    .collect();
                check(&moves);
                // Mixed classes, where a spill slot carries values of either class.
                let moves: Vec<Move> = (0..n)
                    .map(|i| Move { from: loc(p[i]), to: loc(i), class: class_of(loc(p[i])) })
                    .collect();
                check(&moves);
            }
        }
    }

    #[test]
    fn fan_out_chains_and_constants() {
        let g = |k| Loc::Reg(Reg::gpr(k));
        // r0 -> r1, r0 -> r2, r1 -> r0 (a swap with an extra reader), a constant into r3.
        let moves = [
            Move { from: g(0), to: g(1), class: RegClass::Gpr },
            Move { from: g(0), to: g(2), class: RegClass::Gpr },
            Move { from: g(1), to: g(0), class: RegClass::Gpr },
            Move { from: Loc::Const(7), to: g(3), class: RegClass::Gpr },
            Move { from: g(3), to: g(4), class: RegClass::Gpr },
            Move { from: g(5), to: g(5), class: RegClass::Gpr },
        ];
        check(&moves);
        let seq = sequentialize(&moves, &rf());
        assert_eq!(seq.last().unwrap().from, Loc::Const(7));
        assert!(!seq.iter().any(|m| m.to == g(5)), "self-moves are dropped");
    }

    #[test]
    fn a_repeated_destination_keeps_the_first_move() {
        let g = |k| Loc::Reg(Reg::gpr(k));
        let moves = [
            Move { from: g(1), to: g(0), class: RegClass::Gpr },
            Move { from: g(0), to: g(1), class: RegClass::Gpr },
            Move { from: g(2), to: g(0), class: RegClass::Gpr },
        ];
        check(&moves[..2]);
        assert_eq!(sequentialize(&moves, &rf()), sequentialize(&moves[..2], &rf()));
    }

    #[test]
    fn a_swap_uses_the_scratch_register_of_its_class() {
        let f = |k| Loc::Reg(Reg::fpr(k));
        let moves = [
            Move { from: f(0), to: f(1), class: RegClass::Fpr },
            Move { from: f(1), to: f(0), class: RegClass::Fpr },
        ];
        let seq = sequentialize(&moves, &rf());
        assert_eq!(seq.len(), 3);
        assert!(seq.iter().any(|m| m.to == Loc::Reg(Reg::fpr(14))));
        check(&moves);
    }
}

//! The block map: where every fragment of a native interpreter lies in machine code, in both
//! copies, and how each of its exits leaves, in trace-ir terms. It is what turns a hardware
//! tracer's executed ranges (`path::Path`, from Intel PT or CoreSight ETM) into the same
//! `Recording` the software recorder writes.
//!
//! Per installed trace (one copy of one fragment) it holds the code range, the internal entry
//! (where other traces' `link` branches and linked exits arrive), and per lowered snapshot
//! the exit stub (the one branch every exit through that snapshot goes through: a failing
//! guard's conditional branch, a dispatch's bounds check, or the terminator's `exit`), the
//! code a linked exit runs on its way to the next trace, where that exit goes and which
//! fragment snapshot it stands for. A terminator that links has no stub on its way: the map
//! holds the address of its `link` branch instead. The backend fills all this in
//! (`CodeSpace`); the map itself knows no architecture.
//!
//! A `dispatch` terminator's indirect jump is mapped like a `link` branch: its targets are
//! the table's, so the next range must enter one of them (or start at the stub of a table
//! entry that leaves, which is then the step instead).
//!
//! Mapping a path: an executed range that covers an exit stub is one step (the snapshot's
//! fragment and snapshot); a range that ends with a taken `link` branch is one step (the
//! terminator's). Entering a trace's internal entry must agree with where the last step
//! went, which catches decodes that skipped or invented code. Ranges outside the map (the
//! host's code, with an unfiltered tracer) are skipped. A hardware tracer does not see
//! promoted values, so they come from a side log, in order (`BlockMap::recording`); the map
//! knows how many promotes each exit had run.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write};

use crate::backend::{CodeInfo, CodeSpace};
use crate::fragment::native::{Copy, Lowered, NativeInterp, Origin};
use crate::ir::{DispatchTarget, Terminator};
use crate::path::{CodeImage, Path, PathEvent};
use crate::recording::{Recording, Step};

/// Where an exit goes once its snapshot is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitTo {
    /// Another installed trace of the map: its index in `BlockMap::traces`.
    Trace(u32),
    /// Back to the host (a host snapshot, a dispatch past its table, a full recording log).
    Host,
}

/// One exit of an installed trace: a snapshot of the lowered trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitMap {
    /// The exit stub: the branch every exit through this snapshot jumps to and runs.
    pub stub: u64,
    /// The code a linked exit runs from its stub to the target (`start..end`), if any.
    pub link_path: Option<(u64, u64)>,
    /// The fragment snapshot it stands for (or the recording log's overflow check).
    pub origin: Origin,
    pub to: ExitTo,
    /// How many of the fragment's `promote`s ran before it left here.
    pub promotes: u32,
}

/// The terminator's `link` branch: the jump to the next trace's internal entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkMap {
    pub branch: u64,
    /// The lowered snapshot the terminator leaves through (an index into `exits`).
    pub snap: u32,
    /// The trace it enters.
    pub to: u32,
}

/// The terminator's `dispatch`: the indirect jump through its jump table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatchMap {
    pub branch: u64,
    /// The lowered snapshot it writes (an index into `exits`).
    pub snap: u32,
    /// The traces its table enters.
    pub to: Vec<u32>,
    /// The lowered snapshots of table entries that leave instead (their stubs are targets).
    pub exits: Vec<u32>,
}

/// One installed trace: one copy of one fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceMap {
    /// The `CodeSpace` trace id.
    pub id: u32,
    pub fragment: u32,
    pub copy: Copy,
    /// Its code, `start..end` (the external entry is `start`).
    pub start: u64,
    pub end: u64,
    pub internal: u64,
    /// Per lowered snapshot.
    pub exits: Vec<ExitMap>,
    pub link: Option<LinkMap>,
    pub dispatch: Option<DispatchMap>,
}

/// Why a block map could not be built: the code space and the lowered program disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockMapError {
    /// The code space has no trace `id` (it was not installed there).
    MissingTrace { id: u32 },
    /// Trace `id` has `found` exit stubs but its lowered trace `expected` snapshots.
    ExitCount { id: u32, expected: usize, found: usize },
    /// Trace `id` ends in `link` but the code space names no `link` branch.
    MissingLinkBranch { id: u32 },
    /// Two exits (or `link` branches) share an address: `a` and `b` are trace ids.
    SharedAddress { addr: u64, a: u32, b: u32 },
}

impl fmt::Display for BlockMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockMapError::MissingTrace { id } => write!(f, "trace {id} is not installed"),
            BlockMapError::ExitCount { id, expected, found } => {
                write!(f, "trace {id} has {found} exit stubs, its lowered trace {expected} snapshots")
            }
            BlockMapError::MissingLinkBranch { id } => {
                write!(f, "trace {id} ends in link, but its code names no link branch")
            }
            BlockMapError::SharedAddress { addr, a, b } => {
                write!(f, "traces {a} and {b} both have an exit branch at {addr:#x}")
            }
        }
    }
}

impl std::error::Error for BlockMapError {}

/// Why a path could not be mapped to a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The decoder lost the flow (overflow, missing code, bad data) at path event `event`:
    /// steps may be missing, so no recording is made.
    Lost { event: usize, reason: String },
    /// Path event `event` enters fragment `found` (of trace id `trace`) at `addr`, but the
    /// last step went to `expected` (`None`: to the host).
    WrongSuccessor { event: usize, addr: u64, trace: u32, found: u32, expected: Option<u32> },
    /// Path event `event` enters fragment `found` (of trace id `trace`) at `addr` right after
    /// fragment `from` dispatched, but `from`'s table has no such entry.
    NotInTable { event: usize, addr: u64, trace: u32, found: u32, from: u32 },
    /// The side log ran out at step `step`, which needs `need` promoted values.
    PromotedShort { step: usize, need: u32, left: usize },
    /// The side log has `extra` values no step promoted.
    PromotedLeft { extra: usize },
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Lost { event, reason } => write!(f, "path event {event}: the flow was lost: {reason}"),
            MapError::WrongSuccessor { event, addr, trace, found, expected } => {
                write!(f, "path event {event}: enters fragment {found} (trace {trace}) at {addr:#x}, but ")?;
                match expected {
                    Some(e) => write!(f, "the last exit went to fragment {e}"),
                    None => write!(f, "the last exit went to the host"),
                }
            }
            MapError::NotInTable { event, addr, trace, found, from } => write!(
                f,
                "path event {event}: enters fragment {found} (trace {trace}) at {addr:#x}, which is not in the table fragment {from} dispatched through"
            ),
            MapError::PromotedShort { step, need, left } => {
                write!(f, "step {step} promoted {need} values, the side log has {left} left")
            }
            MapError::PromotedLeft { extra } => write!(f, "the side log has {extra} values no step promoted"),
        }
    }
}

impl std::error::Error for MapError {}

/// A recording without promoted values, and per step how many values it promoted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapped {
    pub recording: Recording,
    pub promotes: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockMap {
    /// Indexed like `Lowered::traces`: plain copies, then recording copies.
    pub traces: Vec<TraceMap>,
    /// Exit stub address to (trace index, lowered snapshot).
    stubs: BTreeMap<u64, (u32, u32)>,
    /// `link` branch address to trace index.
    links: HashMap<u64, u32>,
    /// `dispatch` jump address to trace index.
    dispatches: HashMap<u64, u32>,
    /// Internal entry address to trace index; external entries likewise.
    internal: HashMap<u64, u32>,
    external: HashMap<u64, u32>,
}

/// Where the last step sent control.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Anything,
    Trace(u32),
    Host,
    /// One of the targets of trace `k`'s dispatch.
    Dispatch(u32),
}

impl BlockMap {
    /// The block map of `ni` as installed in `code`.
    pub fn new<C: CodeSpace + ?Sized>(ni: &NativeInterp, code: &C) -> Result<BlockMap, BlockMapError> {
        let infos = (0..ni.lowered.traces.len() as u32)
            .map(|k| {
                let id = ni.lowered.base + k;
                code.trace_code_info(id).ok_or(BlockMapError::MissingTrace { id })
            })
            .collect::<Result<Vec<_>, _>>()?;
        BlockMap::from_infos(&ni.lowered, &infos)
    }

    /// The block map of `lowered` from each trace's `CodeInfo`, in `lowered.traces` order.
    pub fn from_infos(lowered: &Lowered, infos: &[CodeInfo]) -> Result<BlockMap, BlockMapError> {
        let mut m = BlockMap {
            traces: Vec::with_capacity(lowered.traces.len()),
            stubs: BTreeMap::new(),
            links: HashMap::new(),
            dispatches: HashMap::new(),
            internal: HashMap::new(),
            external: HashMap::new(),
        };
        for (k, t) in lowered.traces.iter().enumerate() {
            let id = lowered.base + k as u32;
            let info = infos.get(k).ok_or(BlockMapError::MissingTrace { id })?;
            let n = t.trace.snaps.len();
            if info.exits.len() != n || t.origins.len() != n {
                return Err(BlockMapError::ExitCount { id, expected: n, found: info.exits.len() });
            }
            let exits = (0..n)
                .map(|s| ExitMap {
                    stub: info.exits[s],
                    link_path: info.link_paths.get(s).copied().flatten(),
                    origin: t.origins[s],
                    to: match t.links.iter().find(|l| l.0.index() == s) {
                        Some(&(_, to)) => ExitTo::Trace(to),
                        None => ExitTo::Host,
                    },
                    promotes: t.promotes.get(s).copied().unwrap_or(0),
                })
                .collect::<Vec<_>>();
            let link = match t.trace.term {
                Terminator::Link { trace, snap } => Some(LinkMap {
                    branch: info.link_branch.ok_or(BlockMapError::MissingLinkBranch { id })?,
                    snap: snap.0,
                    to: trace.wrapping_sub(lowered.base),
                }),
                _ => None,
            };
            let dispatch = match &t.trace.term {
                Terminator::Dispatch { snap, targets, .. } => Some(DispatchMap {
                    branch: info.link_branch.ok_or(BlockMapError::MissingLinkBranch { id })?,
                    snap: snap.0,
                    to: targets
                        .iter()
                        .filter_map(|d| match d {
                            DispatchTarget::Trace(n) => Some(n.wrapping_sub(lowered.base)),
                            DispatchTarget::Exit(_) => None,
                        })
                        .collect(),
                    exits: targets
                        .iter()
                        .filter_map(|d| match d {
                            DispatchTarget::Exit(s) => Some(s.0),
                            DispatchTarget::Trace(_) => None,
                        })
                        .collect(),
                }),
                _ => None,
            };
            for (s, e) in exits.iter().enumerate() {
                if let Some(&(b, _)) = m.stubs.get(&e.stub) {
                    return Err(BlockMapError::SharedAddress { addr: e.stub, a: lowered.base + b, b: id });
                }
                m.stubs.insert(e.stub, (k as u32, s as u32));
            }
            if let Some(l) = link {
                if let Some(&b) = m.links.get(&l.branch) {
                    return Err(BlockMapError::SharedAddress { addr: l.branch, a: lowered.base + b, b: id });
                }
                m.links.insert(l.branch, k as u32);
            }
            if let Some(d) = &dispatch {
                if let Some(&b) = m.links.get(&d.branch).or(m.dispatches.get(&d.branch)) {
                    return Err(BlockMapError::SharedAddress { addr: d.branch, a: lowered.base + b, b: id });
                }
                m.dispatches.insert(d.branch, k as u32);
            }
            m.internal.insert(info.internal, k as u32);
            m.external.insert(info.start, k as u32);
            m.traces.push(TraceMap {
                id,
                fragment: t.fragment,
                copy: t.copy,
                start: info.start,
                end: info.start + info.len,
                internal: info.internal,
                exits,
                link,
                dispatch,
            });
        }
        Ok(m)
    }

    /// The exit whose stub is at `addr`: (trace index, lowered snapshot).
    pub fn exit_at(&self, addr: u64) -> Option<(u32, u32)> {
        self.stubs.get(&addr).copied()
    }

    /// The trace (index into `traces`) whose `link` branch is at `addr`.
    pub fn link_at(&self, addr: u64) -> Option<u32> {
        self.links.get(&addr).copied()
    }

    /// The trace (index into `traces`) whose `dispatch` jump is at `addr`.
    pub fn dispatch_at(&self, addr: u64) -> Option<u32> {
        self.dispatches.get(&addr).copied()
    }

    /// The trace (index into `traces`) whose code holds `addr`, link paths included.
    pub fn trace_at(&self, addr: u64) -> Option<u32> {
        self.traces
            .iter()
            .position(|t| {
                (t.start..t.end).contains(&addr)
                    || t.exits.iter().any(|e| e.link_path.is_some_and(|(a, b)| (a..b).contains(&addr)))
            })
            .map(|i| i as u32)
    }

    /// Maps a decoded path to the (fragment, snapshot) steps it ran, without promoted
    /// values (see `recording`).
    pub fn map_path(&self, path: &Path) -> Result<Mapped, MapError> {
        let mut out = Mapped::default();
        let mut expect = Expect::Anything;
        // A taken dispatch jump whose step waits for the range it lands in.
        let mut dispatched: Option<u32> = None;
        for (event, ev) in path.events.iter().enumerate() {
            let r = match ev {
                PathEvent::Range(r) => r,
                PathEvent::Overflow => {
                    return Err(MapError::Lost { event, reason: "the tracer overflowed".into() })
                }
                PathEvent::Gap { reason } => return Err(MapError::Lost { event, reason: reason.clone() }),
                _ => continue,
            };
            if let Some(k) = dispatched.take() {
                let d = self.traces[k as usize].dispatch.as_ref().expect("a dispatching trace");
                let leaves = self.stubs.get(&r.start).is_some_and(|&(k2, s)| k2 == k && d.exits.contains(&s));
                if !leaves {
                    self.step(&mut out, k, d.snap);
                    expect = Expect::Dispatch(k);
                }
            }
            if self.external.contains_key(&r.start) {
                // A run from the host: whatever ran before has left.
                expect = Expect::Anything;
            } else if let Some(&k) = self.internal.get(&r.start) {
                let fits = match expect {
                    Expect::Anything => true,
                    Expect::Trace(e) => e == k,
                    Expect::Dispatch(d) => {
                        self.traces[d as usize].dispatch.as_ref().is_some_and(|d| d.to.contains(&k))
                    }
                    Expect::Host => false,
                };
                if let (false, Expect::Dispatch(d)) = (fits, expect) {
                    let t = &self.traces[k as usize];
                    return Err(MapError::NotInTable {
                        event,
                        addr: r.start,
                        trace: t.id,
                        found: t.fragment,
                        from: self.traces[d as usize].fragment,
                    });
                }
                if !fits {
                    let t = &self.traces[k as usize];
                    return Err(MapError::WrongSuccessor {
                        event,
                        addr: r.start,
                        trace: t.id,
                        found: t.fragment,
                        expected: match expect {
                            Expect::Trace(e) => Some(self.traces[e as usize].fragment),
                            _ => None,
                        },
                    });
                }
                expect = Expect::Anything;
            }
            for (_, &(k, s)) in self.stubs.range(r.start..r.end.max(r.start)) {
                expect = self.step(&mut out, k, s);
            }
            if r.taken {
                if let Some(&k) = self.links.get(&r.last_insn()) {
                    if let Some(l) = self.traces[k as usize].link {
                        self.step(&mut out, k, l.snap);
                        expect = Expect::Trace(l.to);
                    }
                }
                if let Some(k) = self.dispatches.get(&r.last_insn()) {
                    dispatched = Some(*k);
                }
            }
        }
        if let Some(k) = dispatched {
            let d = self.traces[k as usize].dispatch.as_ref().expect("a dispatching trace");
            self.step(&mut out, k, d.snap);
        }
        Ok(out)
    }

    fn step(&self, out: &mut Mapped, k: u32, s: u32) -> Expect {
        let e = &self.traces[k as usize].exits[s as usize];
        match e.origin {
            Origin::Snap { fragment, snap } | Origin::Control { from: Some((fragment, snap)), .. } => {
                out.recording.steps.push(Step { fragment, snap: snap.0, promoted: Vec::new() });
                out.promotes.push(e.promotes);
            }
            Origin::LogFull { .. } | Origin::Dispatch { .. } | Origin::Control { from: None, .. } => {}
        }
        match e.to {
            ExitTo::Trace(t) => Expect::Trace(t),
            ExitTo::Host => Expect::Host,
        }
    }

    /// Maps a decoded path to a recording, taking the promoted values from `side_log` (every
    /// value promoted, in order: the software log's, PTWRITE's, or `promoted_values` of a
    /// software recording of the same run).
    pub fn recording(&self, path: &Path, side_log: &[u64]) -> Result<Recording, MapError> {
        let m = self.map_path(path)?;
        merge_promoted(m, side_log)
    }

    /// The block map as text, one trace a paragraph (fragments by name from `names`).
    pub fn print(&self, names: &[String]) -> String {
        let mut s = String::new();
        let name = |f: u32| names.get(f as usize).cloned().unwrap_or_else(|| f.to_string());
        for t in &self.traces {
            let copy = if t.copy == Copy::Recording { ".rec" } else { "" };
            let _ = writeln!(
                s,
                "trace {} {}{copy}: {:#x}..{:#x} internal {:#x}",
                t.id,
                name(t.fragment),
                t.start,
                t.end,
                t.internal
            );
            for (k, e) in t.exits.iter().enumerate() {
                let from = match e.origin {
                    Origin::Snap { snap, .. } => format!("snap{}", snap.0),
                    Origin::Control { from: Some((_, snap)), .. } => {
                        format!("snap{} (control point)", snap.0)
                    }
                    Origin::Control { from: None, .. } => "dispatch (control point)".into(),
                    Origin::LogFull { .. } => "log full".into(),
                    Origin::Dispatch { .. } => "dispatch past the table".into(),
                };
                let to = match e.to {
                    ExitTo::Trace(i) => self.traces.get(i as usize).map_or("?".into(), |x| name(x.fragment)),
                    ExitTo::Host => "host".into(),
                };
                let link = if t.link.is_some_and(|l| l.snap == k as u32) { " (link)" } else { "" };
                let _ = write!(s, "  exit {k} {from} stub {:#x} -> {to}{link}", e.stub);
                if let Some((a, b)) = e.link_path {
                    let _ = write!(s, " via {a:#x}..{b:#x}");
                }
                let _ = writeln!(s, " promotes {}", e.promotes);
            }
            if let Some(l) = t.link {
                let to = self.traces.get(l.to as usize).map_or("?".into(), |x| name(x.fragment));
                let _ = writeln!(s, "  link branch {:#x} -> {to}", l.branch);
            }
            if let Some(d) = &t.dispatch {
                let to: Vec<String> =
                    d.to.iter()
                        .map(|&i| self.traces.get(i as usize).map_or("?".into(), |x| name(x.fragment)))
                        .collect();
                let _ = writeln!(s, "  dispatch jump {:#x} exit {} -> {}", d.branch, d.snap, to.join(", "));
            }
        }
        s
    }
}

/// Fills in each step's promoted values from `side_log`, in order.
pub fn merge_promoted(m: Mapped, side_log: &[u64]) -> Result<Recording, MapError> {
    let mut rec = m.recording;
    let mut rest = side_log;
    for (step, (s, &need)) in rec.steps.iter_mut().zip(&m.promotes).enumerate() {
        if rest.len() < need as usize {
            return Err(MapError::PromotedShort { step, need, left: rest.len() });
        }
        let (now, later) = rest.split_at(need as usize);
        s.promoted = now.to_vec();
        rest = later;
    }
    if !rest.is_empty() {
        return Err(MapError::PromotedLeft { extra: rest.len() });
    }
    Ok(rec)
}

/// Every promoted value of a recording, in order: the side log a hardware recording of the
/// same run needs.
pub fn promoted_values(rec: &Recording) -> Vec<u64> {
    rec.steps.iter().flat_map(|s| s.promoted.iter().copied()).collect()
}

/// The installed code of `code` as a tracer's code image (empty before any install).
pub fn code_image<C: CodeSpace + ?Sized>(code: &C) -> CodeImage {
    let mut img = CodeImage::new();
    if let Some((base, bytes)) = code.code_bytes() {
        img.add(base, bytes.to_vec(), "native interpreter");
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fragment::native::lower;
    use crate::path::{BranchKind, ExecRange};
    use crate::text::parse_program;

    const PROG: &str = "program two\nslot 0 n : i64\nentry a\n\nfragment a\n%n = input 0 : i64\n\
        %z = const 0 : i64\n%c = icmp.eq %n, %z\nsnap0 @resume(1) { }\nguard.not %c, snap0\n\
        promote %n\nsnap1 @resume(0) -> b { }\nexit snap1\n\nfragment b\nsnap0 @resume(2) { }\nexit snap0\n";

    /// Made-up addresses: trace k at 0x1000 * (k + 1), internal entry +0x10, stub s at
    /// +0x100 + 8s, link branch at +0x80.
    fn infos(l: &Lowered) -> Vec<CodeInfo> {
        (l.traces.iter().enumerate())
            .map(|(k, t)| {
                let at = 0x1000 * (k as u64 + 1);
                CodeInfo {
                    start: at,
                    len: 0x400,
                    exits: (0..t.trace.snaps.len() as u64).map(|s| at + 0x100 + 8 * s).collect(),
                    internal: at + 0x10,
                    link_branch: Some(at + 0x80),
                    link_paths: vec![None; t.trace.snaps.len()],
                }
            })
            .collect()
    }

    fn range(start: u64, end: u64, taken: bool) -> PathEvent {
        PathEvent::Range(ExecRange {
            start,
            end,
            insn_count: 1,
            last_insn_size: 4,
            last_kind: BranchKind::Direct,
            taken,
        })
    }

    #[test]
    fn ranges_through_stubs_and_links_are_steps() {
        let p = parse_program(PROG).unwrap();
        let l = lower(&p, 0, false);
        let bm = BlockMap::from_infos(&l, &infos(&l)).unwrap();
        assert_eq!(bm.traces.len(), 4);
        assert!(bm.print(&p.fragment_names()).contains("link branch 0x1080 -> b"));
        // a from the host, its link to b, b's exit stub.
        let path = Path {
            events: vec![
                range(0x1000, 0x1084, true),
                range(0x2010, 0x2020, true),
                range(0x2100, 0x2104, true),
            ],
        };
        let rec = bm.recording(&path, &[7]).unwrap();
        assert_eq!(rec.print(&p.fragment_names()), "a snap1 promote 0x7\nb snap0\n");
        // Entering a (not b) after a's link is the wrong successor.
        let wrong = Path { events: vec![range(0x1000, 0x1084, true), range(0x1010, 0x1020, true)] };
        assert!(matches!(bm.map_path(&wrong), Err(MapError::WrongSuccessor { event: 1, found: 0, .. })));
        // a's guard exit to the host ran no promote.
        let early = Path { events: vec![range(0x1000, 0x1020, true), range(0x1100, 0x1104, true)] };
        assert_eq!(bm.map_path(&early).unwrap().promotes, vec![0]);
        assert_eq!(bm.recording(&early, &[1]), Err(MapError::PromotedLeft { extra: 1 }));
        let gap = Path { events: vec![PathEvent::Gap { reason: "x".into() }] };
        assert!(matches!(bm.map_path(&gap), Err(MapError::Lost { event: 0, .. })));
    }

    #[test]
    fn inconsistent_code_info_is_an_error() {
        let p = parse_program(PROG).unwrap();
        let l = lower(&p, 0, false);
        let mut i = infos(&l);
        i[1].exits.pop();
        assert!(matches!(BlockMap::from_infos(&l, &i), Err(BlockMapError::ExitCount { id: 1, .. })));
        let mut i = infos(&l);
        i[0].link_branch = None;
        assert_eq!(BlockMap::from_infos(&l, &i), Err(BlockMapError::MissingLinkBranch { id: 0 }));
        let mut i = infos(&l);
        i[1].exits[0] = i[0].exits[0];
        assert!(matches!(BlockMap::from_infos(&l, &i), Err(BlockMapError::SharedAddress { a: 0, b: 1, .. })));
        assert_eq!(BlockMap::from_infos(&l, &i[..1]), Err(BlockMapError::MissingTrace { id: 1 }));
    }
}

//! Builds `trace_ir::path::Path` from the flow decoder's output: executed ranges and events
//! for the trace builder.

use crate::block::{Block, End};
use crate::flow::{Event, Sink};
use trace_ir::path::{BranchKind, ExecRange, Path, PathEvent};

#[derive(Default)]
pub struct PathBuilder {
    pub path: Path,
    /// Index in `path.events` of the last range, when it ended at a conditional branch with
    /// this target; its `taken` is settled by where execution goes next.
    pending_cond: Option<(usize, u64)>,
}

impl PathBuilder {
    pub fn new() -> PathBuilder {
        PathBuilder::default()
    }

    pub fn finish(self) -> Path {
        self.path
    }
}

impl Sink for PathBuilder {
    fn insns(&mut self, block: &Block, n: usize) {
        if n == 0 {
            return;
        }
        let start = block.start;
        if let Some((i, target)) = self.pending_cond.take() {
            if let Some(PathEvent::Range(r)) = self.path.events.get_mut(i) {
                r.taken = start == target;
            }
        }
        let whole = n == block.len();
        let end = if whole { block.end } else { block.insn(n) };
        let last = block.insn(n - 1);
        let last_kind = if whole { block.branch_kind() } else { BranchKind::None };
        // A block cut for no branch continues in the next one: extend the range.
        if let Some(PathEvent::Range(prev)) = self.path.events.last_mut() {
            if prev.last_kind == BranchKind::None && prev.end == start && !prev.taken {
                prev.end = end;
                prev.insn_count += n as u32;
                prev.last_insn_size = end.wrapping_sub(last) as u8;
                prev.last_kind = last_kind;
                prev.taken = whole && !matches!(block.exit, End::Fall | End::Cond { .. });
                if let (true, End::Cond { target }) = (whole, block.exit) {
                    self.pending_cond = Some((self.path.events.len() - 1, target));
                }
                return;
            }
        }
        let taken = whole && !matches!(block.exit, End::Fall | End::Cond { .. });
        self.path.events.push(PathEvent::Range(ExecRange {
            start,
            end,
            insn_count: n as u32,
            last_insn_size: end.wrapping_sub(last) as u8,
            last_kind,
            taken,
        }));
        if let (true, End::Cond { target }) = (whole, block.exit) {
            self.pending_cond = Some((self.path.events.len() - 1, target));
        }
    }

    fn event(&mut self, ev: &Event) {
        let pe = match *ev {
            Event::Enabled { ip, .. } => PathEvent::TraceOn { addr: Some(ip) },
            Event::Disabled { ip } => PathEvent::TraceOff { addr: ip },
            Event::AsyncDisabled { at } => PathEvent::TraceOff { addr: Some(at) },
            Event::AsyncBranch { from, to } => PathEvent::Exception { from: Some(from), to, number: 0 },
            Event::Overflow { .. } => PathEvent::Overflow,
            Event::Tsc(t) => PathEvent::Timestamp(t),
            Event::Paging { cr3 } => PathEvent::Context { id: cr3 },
            Event::Error(e) => PathEvent::Gap { reason: format!("{:#x}, {:#x}: {}", e.offset, e.ip, e.kind) },
            _ => return,
        };
        self.pending_cond = None;
        self.path.events.push(pe);
    }
}

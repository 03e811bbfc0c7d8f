//! Fragment programs: an interpreter described once, as linear IR fragments over a declared
//! slot layout.
//!
//! A program is the interpreter's state layout (slots with a type, some green: constant per
//! loop, like the pc), dispatch tables, and named fragments. Each fragment is a `Trace`
//! without a loop: it reads slots with `input`, and every snapshot names where control goes
//! once it is written (`SnapTo`): another fragment, a dispatch through a table indexed by a
//! slot, or back to the host. The same description is run by the reference interpreter here
//! (`interp`), compiled into a native interpreter by the host backend (`native`), and inlined
//! along a recording by the trace builder.

pub mod interp;
pub mod native;
pub mod split;
pub mod verify;

use crate::ir::{SnapId, SnapTo, Trace};
use crate::types::Type;

/// One slot of the interpreter state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotDecl {
    pub name: String,
    pub ty: Type,
    /// Constant for a given loop (the pc, the function): part of a loop's key, and a
    /// constant inside its trace.
    pub green: bool,
    /// Scratch: not defined at program entry, only by the snapshots that write it (a value
    /// one fragment hands the next, or what a continuation needs).
    pub temp: bool,
}

/// A dispatch table: entry `i` is the fragment a dispatch on index `i` goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub targets: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fragment {
    pub name: String,
    pub body: Trace,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    pub name: Option<String>,
    /// Slot `i` is `slots[i]`.
    pub slots: Vec<SlotDecl>,
    pub tables: Vec<Table>,
    pub fragments: Vec<Fragment>,
    /// The fragment a run starts in.
    pub entry: u32,
    /// Control points: the loop headers. Entering one of these fragments is where a runtime
    /// counts, records and enters traces; the loop's key is the fragment and the green slots.
    pub controls: Vec<u32>,
}

impl Program {
    pub fn fragment_names(&self) -> Vec<String> {
        self.fragments.iter().map(|f| f.name.clone()).collect()
    }

    pub fn table_names(&self) -> Vec<String> {
        self.tables.iter().map(|t| t.name.clone()).collect()
    }

    pub fn fragment_by_name(&self, name: &str) -> Option<u32> {
        self.fragments.iter().position(|f| f.name == name).map(|i| i as u32)
    }

    pub fn slot_by_name(&self, name: &str) -> Option<u32> {
        self.slots.iter().position(|s| s.name == name).map(|i| i as u32)
    }

    pub fn is_control(&self, frag: u32) -> bool {
        self.controls.contains(&frag)
    }

    /// The green slots, in slot order: a loop's key is their values.
    pub fn green_slots(&self) -> Vec<u32> {
        (0..self.slots.len() as u32).filter(|&i| self.slots[i as usize].green).collect()
    }

    /// Where snapshot `snap` of fragment `frag` sends control, given the slots it has just
    /// written: the next fragment, or `None` for the host (a host snapshot, or a dispatch
    /// index past its table).
    pub fn next_fragment(&self, frag: u32, snap: SnapId, slots: &[u64]) -> Option<u32> {
        let body = &self.fragments.get(frag as usize)?.body;
        match body.snaps.get(snap.index())?.to {
            SnapTo::Host => None,
            SnapTo::Fragment(f) => Some(f),
            SnapTo::Dispatch { table, slot } => {
                let idx = *slots.get(slot as usize)?;
                let t = self.tables.get(table as usize)?;
                usize::try_from(idx).ok().and_then(|i| t.targets.get(i)).copied()
            }
        }
    }
}

/// Builds a program from Rust: declare slots, tables and fragments by name, then give each
/// fragment its body (written with `Builder`, whose `snapshot_to` names targets by the ids
/// returned here). Nothing is checked until `trace_ir::fragment::verify::verify`.
#[derive(Default)]
pub struct ProgramBuilder {
    p: Program,
    defined: Vec<bool>,
}

impl ProgramBuilder {
    pub fn new(name: &str) -> ProgramBuilder {
        ProgramBuilder {
            p: Program {
                name: Some(name.to_string()),
                slots: Vec::new(),
                tables: Vec::new(),
                fragments: Vec::new(),
                entry: 0,
                controls: Vec::new(),
            },
            defined: Vec::new(),
        }
    }

    fn add_slot(&mut self, name: &str, ty: Type, green: bool, temp: bool) -> u32 {
        self.p.slots.push(SlotDecl { name: name.to_string(), ty, green, temp });
        self.p.slots.len() as u32 - 1
    }

    /// A slot defined at entry and carried between fragments.
    pub fn slot(&mut self, name: &str, ty: Type) -> u32 {
        self.add_slot(name, ty, false, false)
    }

    /// A green slot (part of the loop key).
    pub fn green_slot(&mut self, name: &str, ty: Type) -> u32 {
        self.add_slot(name, ty, true, false)
    }

    /// A scratch slot, defined only by the snapshots that write it.
    pub fn temp_slot(&mut self, name: &str, ty: Type) -> u32 {
        self.add_slot(name, ty, false, true)
    }

    /// Declares a fragment (its body comes later with `define`); returns its id.
    pub fn declare(&mut self, name: &str) -> u32 {
        self.p.fragments.push(Fragment { name: name.to_string(), body: Trace::default() });
        self.defined.push(false);
        self.p.fragments.len() as u32 - 1
    }

    pub fn define(&mut self, frag: u32, mut body: Trace) {
        if let Some(f) = self.p.fragments.get_mut(frag as usize) {
            body.name = Some(f.name.clone());
            f.body = body;
            self.defined[frag as usize] = true;
        }
    }

    /// Declares a dispatch table; its entries may be given now or later with `set_table`.
    pub fn table(&mut self, name: &str, targets: &[u32]) -> u32 {
        self.p.tables.push(Table { name: name.to_string(), targets: targets.to_vec() });
        self.p.tables.len() as u32 - 1
    }

    pub fn set_table(&mut self, table: u32, targets: &[u32]) {
        if let Some(t) = self.p.tables.get_mut(table as usize) {
            t.targets = targets.to_vec();
        }
    }

    pub fn entry(&mut self, frag: u32) {
        self.p.entry = frag;
    }

    /// Marks `frag` as a control point (a loop header).
    pub fn control(&mut self, frag: u32) {
        if !self.p.controls.contains(&frag) {
            self.p.controls.push(frag);
        }
    }

    /// The program; a fragment declared but never defined is an error naming it.
    pub fn finish(self) -> Result<Program, String> {
        if let Some(i) = self.defined.iter().position(|d| !d) {
            return Err(format!("fragment `{}` is declared but has no body", self.p.fragments[i].name));
        }
        Ok(self.p)
    }
}

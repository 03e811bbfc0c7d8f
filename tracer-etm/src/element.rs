//! The generic trace elements the flow decoder produces, printed in OpenCSD's element syntax
//! (`OCSD_GEN_TRC_ELEM_<KIND>(<payload>)`) so existing scripts and `etm-compare` can read them.

use std::fmt;

use crate::insn::{InsnSubType, InsnType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsyncReason {
    InitDecoder,
    ResetDecoder,
    Overflow,
    Discard,
    BadPacket,
    EndOfTrace,
}

impl UnsyncReason {
    fn text(self) -> &'static str {
        match self {
            UnsyncReason::InitDecoder => "init-decoder",
            UnsyncReason::ResetDecoder => "reset-decoder",
            UnsyncReason::Overflow => "overflow",
            UnsyncReason::Discard => "discard",
            UnsyncReason::BadPacket => "bad-packet",
            UnsyncReason::EndOfTrace => "end-of-trace",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    Secure,
    NonSecure,
    Root,
    Realm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeContext {
    pub el: u8,
    pub security: Security,
    pub bits64: bool,
    pub vmid: Option<u32>,
    pub ctxt_id: Option<u32>,
}

/// An executed (or, for the last instruction, not taken) run of instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrRange {
    pub start: u64,
    /// Address after the last instruction.
    pub end: u64,
    pub num_instr: u32,
    pub last_size: u8,
    pub executed: bool,
    pub last_type: InsnType,
    pub last_sub: InsnSubType,
    pub last_cond: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemTrans {
    Init,
    Start,
    Commit,
    Fail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementKind {
    NoSync(UnsyncReason),
    TraceOn {
        overflow: bool,
    },
    EoTrace(UnsyncReason),
    PeContext(PeContext),
    InstrRange(InstrRange),
    /// `count` instructions ran from `start` to `next` along an unknown path (Q packets).
    IRangeNoPath {
        start: u64,
        next: u64,
        count: u32,
    },
    /// Code at `addr` runs in an instruction set the decoder does not walk (A32 or T32, in
    /// AArch32 state): a gap until an address in A64 code. Not an OpenCSD element.
    UnsupportedIsa {
        addr: u64,
        isa: Isa,
    },
    /// Code at `addr` was not in the memory image.
    AddrNacc {
        addr: u64,
        mem_space: u32,
    },
    Exception {
        ret_addr: u64,
        number: u16,
        ret_is_branch_target: bool,
    },
    ExceptionRet,
    Timestamp {
        ts: u64,
        cc: Option<u32>,
    },
    CycleCount(u32),
    Event(u8),
    SyncMarker(u32),
    MemTrans(MemTrans),
    Instrumentation {
        el: u8,
        value: u64,
    },
}

/// The instruction set of traced code: A64 in AArch64 state; in AArch32 state the
/// address's IS bit picks A32 (0) or T32 (1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    A64,
    A32,
    T32,
}

impl Isa {
    pub fn of(aarch64: bool, is: u8) -> Isa {
        match (aarch64, is) {
            (true, _) => Isa::A64,
            (false, 0) => Isa::A32,
            (false, _) => Isa::T32,
        }
    }
}

/// One element, tagged with the trace ID and the index of the packet that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub index: u64,
    pub trace_id: u8,
    pub kind: ElementKind,
}

impl ElementKind {
    pub fn name(&self) -> &'static str {
        match self {
            ElementKind::NoSync(_) => "NO_SYNC",
            ElementKind::TraceOn { .. } => "TRACE_ON",
            ElementKind::EoTrace(_) => "EO_TRACE",
            ElementKind::PeContext(_) => "PE_CONTEXT",
            ElementKind::InstrRange(_) => "INSTR_RANGE",
            ElementKind::IRangeNoPath { .. } => "I_RANGE_NOPATH",
            ElementKind::AddrNacc { .. } => "ADDR_NACC",
            ElementKind::UnsupportedIsa { .. } => "UNSUPPORTED_ISA",
            ElementKind::Exception { .. } => "EXCEPTION",
            ElementKind::ExceptionRet => "EXCEPTION_RET",
            ElementKind::Timestamp { .. } => "TIMESTAMP",
            ElementKind::CycleCount(_) => "CYCLE_COUNT",
            ElementKind::Event(_) => "EVENT",
            ElementKind::SyncMarker(_) => "SYNC_MARKER",
            ElementKind::MemTrans(_) => "MEMTRANS",
            ElementKind::Instrumentation { .. } => "INSTRUMENTATION",
        }
    }
}

fn mem_space_name(ms: u32) -> &'static str {
    match ms {
        0x1 => "EL1S",
        0x2 => "EL1N",
        0x4 => "EL2N",
        0x8 => "EL3",
        0x10 => "EL2S",
        0x20 => "EL1R",
        0x40 => "EL2R",
        0x80 => "Root",
        0x19 => "S",
        0x6 => "N",
        _ => "Any",
    }
}

/// The payload, exactly as OpenCSD prints it inside the parentheses.
pub struct Payload<'a>(pub &'a ElementKind);

impl fmt::Display for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            ElementKind::NoSync(r) | ElementKind::EoTrace(r) => write!(f, " [{}]", r.text()),
            ElementKind::TraceOn { overflow } => {
                write!(f, " [{}]", if overflow { "overflow" } else { "begin or filter" })
            }
            ElementKind::PeContext(c) => {
                write!(f, "(ISA=A64) EL{}", c.el)?;
                let s = match c.security {
                    Security::Secure => "S; ",
                    Security::NonSecure => "N; ",
                    Security::Root => "Root; ",
                    Security::Realm => "Realm; ",
                };
                write!(f, "{s}{}", if c.bits64 { "64-bit; " } else { "32-bit; " })?;
                if let Some(v) = c.vmid {
                    write!(f, "VMID=0x{v:x}; ")?;
                }
                if let Some(v) = c.ctxt_id {
                    write!(f, "CTXTID=0x{v:x}; ")?;
                }
                Ok(())
            }
            ElementKind::InstrRange(r) => {
                write!(
                    f,
                    "exec range=0x{:x}:[0x{:x}] num_i({}) last_sz({}) (ISA=A64) {}",
                    r.start,
                    r.end,
                    r.num_instr,
                    r.last_size,
                    if r.executed { "E " } else { "N " }
                )?;
                let t = match r.last_type {
                    InsnType::Other => "--- ",
                    InsnType::Branch => "BR  ",
                    InsnType::IndirectBranch => "iBR ",
                    InsnType::Isb => "ISB ",
                    InsnType::DsbDmb => "DSB.DMB",
                    InsnType::WfiWfe => "WFI.WFE",
                };
                f.write_str(t)?;
                match r.last_sub {
                    InsnSubType::None => {}
                    InsnSubType::BranchLink => f.write_str("b+link ")?,
                    InsnSubType::Ret => f.write_str("A64:ret ")?,
                    InsnSubType::Eret => f.write_str("A64:eret ")?,
                }
                if r.last_cond {
                    f.write_str(" <cond>")?;
                }
                Ok(())
            }
            ElementKind::IRangeNoPath { start, next, count } => {
                write!(f, "first 0x{start:x}:[next 0x{next:x}] num_i({count}) ")
            }
            ElementKind::AddrNacc { addr, mem_space } => {
                write!(f, " 0x{addr:x}; Memspace [0x{mem_space:x}:{}] ", mem_space_name(mem_space))
            }
            ElementKind::UnsupportedIsa { addr, isa } => write!(f, " 0x{addr:x}; ISA={isa:?} not decoded"),
            ElementKind::Exception { ret_addr, number, ret_is_branch_target } => {
                write!(f, "pref ret addr:0x{ret_addr:x}")?;
                if ret_is_branch_target {
                    f.write_str(" [addr also prev br tgt]")?;
                }
                write!(f, "; excep num (0x{number:02x}) ")
            }
            ElementKind::ExceptionRet => Ok(()),
            ElementKind::Timestamp { ts, cc } => {
                write!(f, " [ TS=0x{ts:012x}]; ")?;
                if let Some(c) = cc {
                    write!(f, " [CC={c}]; ")?;
                }
                Ok(())
            }
            ElementKind::CycleCount(c) => write!(f, " [CC={c}]; "),
            ElementKind::Event(n) => write!(f, " Numbered:{n}; "),
            ElementKind::SyncMarker(v) => write!(f, " [Timestamp marker(0x{v:08x})]"),
            ElementKind::MemTrans(t) => f.write_str(match t {
                MemTrans::Init => "Init",
                MemTrans::Start => "Start",
                MemTrans::Commit => "Commit",
                MemTrans::Fail => "Fail",
            }),
            ElementKind::Instrumentation { el, value } => write!(f, "EL{el}; 0x{value:016x}"),
        }
    }
}

impl fmt::Display for Element {
    /// The compare form: `E <idx> <id> <KIND> <payload>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = Payload(&self.kind).to_string();
        write!(
            f,
            "E {} {:x} {} {}",
            self.index,
            self.trace_id,
            self.kind.name(),
            p.split_whitespace().collect::<Vec<_>>().join(" ")
        )
    }
}

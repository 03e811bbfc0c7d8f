//! The same VM in plain Rust, a `match` loop: the independent oracle of the fragment program.
//!
//! It works on word slices, but keeps the fragment program's memory image exactly: the
//! frame base is an address (`stack_addr` says where `stack[0]` lives) and a call stores the
//! return pc and the caller's base address in the callee's `r[0]` and `r[1]`, so the stack
//! contents after a run compare byte for byte with the other engines'.

use crate::{mix, Insn, Opcode, Outcome, FRAME_BYTES};

/// The VM's machine state besides memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub pc: u64,
    /// The current frame's base address.
    pub base: u64,
    /// What the outermost `ret` returned (unchanged by any other exit).
    pub result: u64,
}

/// Why the Rust VM could not finish (the fragment program has no such exits: these are
/// inputs it does not accept, see `validate`, or a runaway).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmError {
    /// `pc` is outside the code.
    PcOutOfCode(u64),
    /// A register access outside the stack.
    StackAccess { pc: u64, addr: u64 },
    /// The step limit was reached.
    StepLimit(u64),
}

impl std::fmt::Display for VmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VmError::PcOutOfCode(pc) => write!(f, "pc {pc} is outside the code"),
            VmError::StackAccess { pc, addr } => {
                write!(f, "at pc {pc}: address {addr:#x} is outside the stack")
            }
            VmError::StepLimit(n) => write!(f, "step limit reached after {n} instructions"),
        }
    }
}

impl std::error::Error for VmError {}

/// The Rust VM over borrowed memory.
pub struct Vm<'m> {
    pub code: &'m [u64],
    pub stack: &'m mut [u64],
    /// The address `stack[0]` stands for (the other engines' stack buffer).
    pub stack_addr: u64,
    pub array: &'m mut [u64],
}

impl Vm<'_> {
    fn slot(&self, pc: u64, addr: u64) -> Result<usize, VmError> {
        let off = addr.wrapping_sub(self.stack_addr);
        if addr < self.stack_addr || off & 7 != 0 || off / 8 >= self.stack.len() as u64 {
            return Err(VmError::StackAccess { pc, addr });
        }
        Ok((off / 8) as usize)
    }

    fn get(&self, pc: u64, base: u64, r: u8) -> Result<u64, VmError> {
        let i = self.slot(pc, base.wrapping_add(8 * u64::from(r)))?;
        Ok(self.stack[i])
    }

    fn set(&mut self, pc: u64, base: u64, r: u8, v: u64) -> Result<(), VmError> {
        let i = self.slot(pc, base.wrapping_add(8 * u64::from(r)))?;
        self.stack[i] = v;
        Ok(())
    }

    /// The stack's end address.
    pub fn stack_end(&self) -> u64 {
        self.stack_addr + 8 * self.stack.len() as u64
    }

    /// Runs from `st` until the VM stops, at most `max_steps` instructions. On return `st` is
    /// the state at the stop: the pc of the instruction that stopped it.
    pub fn run(&mut self, st: &mut State, max_steps: u64) -> Result<Outcome, VmError> {
        let (mut pc, mut base) = (st.pc, st.base);
        let stack_end = self.stack_end();
        let mut steps = 0u64;
        let out = loop {
            if steps >= max_steps {
                st.pc = pc;
                st.base = base;
                return Err(VmError::StepLimit(steps));
            }
            steps += 1;
            let w = *self.code.get(pc as usize).ok_or(VmError::PcOutOfCode(pc))?;
            let i = Insn::decode(w);
            let target = pc.wrapping_add(1).wrapping_add(i64::from(i.imm) as u64);
            let Some(op) = Opcode::from_u8(i.op) else { break Outcome::BadOpcode };
            match op {
                Opcode::Add | Opcode::Sub | Opcode::Mul => {
                    let x = self.get(pc, base, i.b)? as i64;
                    let y = self.get(pc, base, i.c)? as i64;
                    let v = match op {
                        Opcode::Add => x.checked_add(y),
                        Opcode::Sub => x.checked_sub(y),
                        _ => x.checked_mul(y),
                    };
                    let Some(v) = v else { break Outcome::Overflow };
                    self.set(pc, base, i.a, v as u64)?;
                    pc += 1;
                }
                Opcode::Addi => {
                    let x = self.get(pc, base, i.b)? as i64;
                    let Some(v) = x.checked_add(i64::from(i.imm)) else { break Outcome::Overflow };
                    self.set(pc, base, i.a, v as u64)?;
                    pc += 1;
                }
                Opcode::Jlt | Opcode::Jeq | Opcode::Jne => {
                    let x = self.get(pc, base, i.a)? as i64;
                    let y = self.get(pc, base, i.b)? as i64;
                    let taken = match op {
                        Opcode::Jlt => x < y,
                        Opcode::Jeq => x == y,
                        _ => x != y,
                    };
                    pc = if taken { target } else { pc + 1 };
                }
                Opcode::Jmp => pc = target,
                Opcode::Mov => {
                    let v = self.get(pc, base, i.b)?;
                    self.set(pc, base, i.a, v)?;
                    pc += 1;
                }
                Opcode::Movi => {
                    self.set(pc, base, i.a, i64::from(i.imm) as u64)?;
                    pc += 1;
                }
                Opcode::Load => {
                    let idx = self.get(pc, base, i.b)?;
                    let Some(&v) = self.array.get(usize::try_from(idx).unwrap_or(usize::MAX)) else {
                        break Outcome::OutOfRange;
                    };
                    self.set(pc, base, i.a, v)?;
                    pc += 1;
                }
                Opcode::Store => {
                    let idx = self.get(pc, base, i.a)?;
                    let v = self.get(pc, base, i.b)?;
                    let Some(e) = self.array.get_mut(usize::try_from(idx).unwrap_or(usize::MAX)) else {
                        break Outcome::OutOfRange;
                    };
                    *e = v;
                    pc += 1;
                }
                Opcode::Call => {
                    let nb = base.wrapping_add(8 * u64::from(i.a));
                    if nb.checked_add(FRAME_BYTES).is_none_or(|top| top > stack_end) {
                        break Outcome::StackOverflow;
                    }
                    self.set(pc, nb, 0, pc + 1)?;
                    self.set(pc, nb, 1, base)?;
                    base = nb;
                    pc = target;
                }
                Opcode::Ret => {
                    let v = self.get(pc, base, i.a)?;
                    let rpc = self.get(pc, base, 0)?;
                    let caller = self.get(pc, base, 1)?;
                    if caller == 0 {
                        st.result = v;
                        break Outcome::Halt(v as i64);
                    }
                    self.set(pc, base, 0, v)?;
                    base = caller;
                    pc = rpc;
                }
                Opcode::Hash => {
                    let x = self.get(pc, base, i.b)?;
                    let y = self.get(pc, base, i.c)?;
                    self.set(pc, base, i.a, mix(x, y))?;
                    pc += 1;
                }
            }
        };
        st.pc = pc;
        st.base = base;
        Ok(out)
    }
}

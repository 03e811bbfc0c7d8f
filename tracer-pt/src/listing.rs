//! ptxed-style listing: one executed instruction address a line (16 hex digits), events and
//! errors in brackets, the format `pt-compare insns` reads.

use crate::block::Block;
use crate::flow::{Event, Sink};
use std::io::{self, Write};

/// Writes the listing to `out`; the first write error is kept and stops further output.
pub struct Ptxed<W: Write> {
    out: W,
    pub insns: u64,
    pub errors: u64,
    pub io_error: Option<io::Error>,
}

impl<W: Write> Ptxed<W> {
    pub fn new(out: W) -> Ptxed<W> {
        Ptxed { out, insns: 0, errors: 0, io_error: None }
    }

    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        if self.io_error.is_none() {
            if let Err(e) = self.out.write_fmt(args) {
                self.io_error = Some(e);
            }
        }
    }

    /// Writes the closing summary line and flushes.
    pub fn finish(mut self) -> io::Result<W> {
        let (i, e) = (self.insns, self.errors);
        self.line(format_args!("# instructions {i}, decode errors {e}\n"));
        if let Some(e) = self.io_error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Sink for Ptxed<W> {
    fn insns(&mut self, block: &Block, n: usize) {
        self.insns += n as u64;
        for i in 0..n {
            let a = block.insn(i);
            self.line(format_args!("{a:016x}\n"));
        }
    }

    fn event(&mut self, ev: &Event) {
        match ev {
            Event::Enabled { resumed: false, .. } => self.line(format_args!("[enabled]\n")),
            Event::Enabled { resumed: true, .. } => self.line(format_args!("[resumed]\n")),
            Event::Disabled { .. } => self.line(format_args!("[disabled]\n")),
            Event::AsyncDisabled { .. } => self.line(format_args!("[async disabled]\n")),
            Event::AsyncBranch { from, .. } => self.line(format_args!("[interrupt {from:x}]\n")),
            Event::Overflow { .. } => self.line(format_args!("[overflow]\n")),
            Event::ExecMode(_) => self.line(format_args!("[exec mode]\n")),
            Event::Tsx { .. } => self.line(format_args!("[tsx]\n")),
            Event::Paging { cr3 } => self.line(format_args!("[paging, cr3: {cr3:016x}]\n")),
            Event::Vmcs(b) => self.line(format_args!("[vmcs, base: {b:016x}]\n")),
            Event::Ptwrite(v) => self.line(format_args!("[ptwrite: {v:x}]\n")),
            Event::Exstop => self.line(format_args!("[exstop]\n")),
            Event::Mwait { hints, ext } => self.line(format_args!("[mwait: {hints:x}, {ext:x}]\n")),
            Event::Pwre { state, sub_state } => self.line(format_args!("[pwre c{state}.{sub_state}]\n")),
            Event::Pwrx { last, deepest } => self.line(format_args!("[pwrx c{last}, c{deepest}]\n")),
            Event::Stop => self.line(format_args!("[stopped]\n")),
            Event::Tsc(_) | Event::Cbr(_) => {}
            Event::Error(e) => {
                self.errors += 1;
                let (o, ip, k) = (e.offset, e.ip, e.kind);
                self.line(format_args!("[{o:016x}, {ip:x}: error: {k}]\n"));
            }
        }
    }
}

/// Counts instructions and errors only (benchmarks, robustness tests).
#[derive(Default)]
pub struct Counter {
    pub insns: u64,
    pub errors: u64,
    pub events: u64,
}

impl Sink for Counter {
    fn insns(&mut self, _block: &Block, n: usize) {
        self.insns += n as u64;
    }

    fn event(&mut self, ev: &Event) {
        self.events += 1;
        if matches!(ev, Event::Error(_)) {
            self.errors += 1;
        }
    }
}

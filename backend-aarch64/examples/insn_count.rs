//! Static loop-body instruction counts of the AArch64 code for `.tir` kernels, for
//! `qemu/insn-count.sh`. For each file: parse, verify, allocate with the shared allocator,
//! assemble (on any host), and count the instructions from the loop header to the back-edge
//! branch inclusive. Prints `name count`; with `--listing`, the loop's disassembly too.

use backend_aarch64::A64;
use trace_ir::backend::Backend;
use trace_ir::Symbols;

fn main() {
    let mut listing = false;
    let mut status = 0;
    for arg in std::env::args().skip(1) {
        if arg == "--listing" {
            listing = true;
            continue;
        }
        match count(&arg, listing) {
            Ok((name, n)) => println!("{name} {n}"),
            Err(e) => {
                eprintln!("insn_count: {arg}: {e}");
                status = 1;
            }
        }
    }
    std::process::exit(status);
}

fn count(path: &str, listing: bool) -> Result<(String, usize), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let t = trace_ir::text::parse(&src).map_err(|e| e.to_string())?;
    trace_ir::verify::verify(&t).map_err(|e| e.to_string())?;
    let a64 = A64::new();
    let al = trace_ir::regalloc::allocate(&t, a64.regfile()).map_err(|e| e.to_string())?;
    let c = a64.compile(&t, &al, &Symbols::new(), 0, 0, &|_| Some(0)).map_err(|e| e.to_string())?;
    let (Some(head), Some(back)) = (c.loop_head, c.back_edge) else {
        return Err("the trace has no loop".into());
    };
    let name = t.name.clone().unwrap_or_else(|| path.to_string());
    if listing {
        eprintln!("{name}: loop body");
        for l in backend_aarch64::disasm::decode(&c.code[head..back + 4]) {
            eprintln!("  {:4x}: {}", head + l.offset, l.text.unwrap_or_default());
        }
    }
    Ok((name, (back - head) / 4 + 1))
}

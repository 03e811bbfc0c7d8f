use trace_ir::fragment::{interp, verify};
use trace_ir::interp::Env;
use trace_ir::recording::Recording;
use trace_ir::text::{parse_program, print_program};
use trace_ir::Symbols;

#[test]
fn countdown_parses_prints_verifies_and_runs() {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/programs/countdown.tir"))
            .unwrap();
    let p = parse_program(&src).unwrap();
    let text = print_program(&p);
    println!("{text}");
    let q = parse_program(&text).unwrap();
    assert_eq!(print_program(&q), text);
    verify::verify(&p).unwrap();
    let syms = Symbols::new();
    let mut slots = vec![0, 10, 0, 0];
    let mut rec = Recording::default();
    let e = interp::run(&p, &mut slots, &Env::new(&syms), 1000, Some(&mut rec)).unwrap();
    assert_eq!(slots[2], 55);
    assert_eq!(e.resume, 1);
    println!("{}", rec.print(&p.fragment_names()));
}

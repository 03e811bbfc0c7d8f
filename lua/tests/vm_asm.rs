//! The VM on hand-assembled bytecode (independent of the front end), JIT off and on.

use tracery_lua::bytecode::{Const, Ins, Op, Proto};
use tracery_lua::vm::{Ended, Vm};
use tracery_runtime::config::Config;

fn sum_loop() -> Proto {
    let code = vec![
        Ins::abc(Op::VarArgPrep, 0, 0, 0),
        Ins::asbx(Op::LoadI, 0, 0),
        Ins::asbx(Op::LoadI, 1, 1),
        Ins::asbx(Op::LoadI, 2, 1000),
        Ins::asbx(Op::LoadI, 3, 1),
        Ins::asbx(Op::ForPrep, 1, 1),
        Ins::abc(Op::Add, 0, 0, 4),
        Ins::asbx(Op::ForLoop, 1, -2),
        Ins::abc(Op::GetTabUp, 5, 0, 0),
        Ins::abc(Op::Move, 6, 0, 0),
        Ins::abc(Op::Call, 5, 2, 1),
        Ins::abc(Op::Return, 0, 1, 0),
    ];
    let n = code.len();
    Proto {
        source: "asm".into(),
        is_vararg: true,
        max_stack: 8,
        code,
        lines: vec![1; n],
        consts: vec![Const::Str(b"print".to_vec())],
        upval_names: vec!["_ENV".into()],
        ..Proto::default()
    }
}

fn run(p: &Proto, jit: bool) -> Ended {
    let cfg = Config { jit, hotloop: 5, log: std::env::var_os("LOG").is_some(), ..Config::default() };
    let mut vm = Vm::new(cfg).unwrap();
    vm.run_main(p, &[]).unwrap()
}

#[test]
fn a_for_loop_sums_with_the_jit_off_and_on() {
    for jit in [false, true] {
        match run(&sum_loop(), jit) {
            Ended::Ok => {}
            e => panic!("jit {jit}: {e:?}"),
        }
    }
}

//! The driver end to end on a small bytecode VM: JIT on against JIT off against the
//! reference interpreter, with default and with low thresholds (every loop traced, every
//! exit a side trace), aborts and blacklisting, cache flushes, the trace log, the settings
//! and the perf map.

mod common;

use common::*;

use trace_ir::fragment::{interp, Program};
use trace_ir::interp::{Env, MemRegion};
use tracery_runtime::build::Slices;
use tracery_runtime::config::Config;
use tracery_runtime::Driver;

/// The bytecode programs the tests run: straight loops, one with a branch that goes both
/// ways, and two nested loops' worth of work in sequence.
fn programs() -> Vec<Vec<u64>> {
    vec![
        vec![ADDN, 0, MIX, 3, DECN, 1, JNZ, (-3i64) as u64, HALT, 0],
        vec![ADDN, 0, ODDINC, 0, DECN, 1, JNZ, (-3i64) as u64, HALT, 0],
        vec![ODDINC, 0, MIX, 5, ODDINC, 0, DECN, 1, JNZ, (-4i64) as u64, HALT, 0],
    ]
}

/// The reference: the whole program on the reference interpreter.
fn reference(p: &Program, code: &mut [u64], n: u64) -> (Vec<u64>, u64) {
    let pc0 = code.as_ptr() as u64;
    let syms = symbols();
    let mem = [MemRegion::of(bytes(code))];
    let mut slots = vec![pc0, n, 0, 0];
    let e = interp::run(p, &mut slots, &Env::new(&syms).with_memory(&mem), 10_000_000, None).unwrap();
    (slots, e.resume)
}

fn run(p: &Program, code: &mut [u64], n: u64, config: Config) -> (Vec<u64>, u64, Driver) {
    let pc0 = code.as_ptr() as u64;
    let mut d = Driver::new(p, symbols(), config).unwrap();
    let mut slots = vec![pc0, n, 0, 0];
    let imm = Slices(vec![bytes(code)]);
    // SAFETY: `reference` ran the same program from the same state on the reference
    // interpreter first, which checks every access (only the bytecode, alive here) and
    // calls only `twice`.
    let e = unsafe { d.run(&mut slots, &imm).unwrap() };
    (slots, e.resume, d)
}

fn opts(spec: &str) -> Config {
    let mut c = Config { log: true, ..Config::default() };
    c.set_opts(spec).unwrap();
    c
}

#[test]
fn jit_on_agrees_with_jit_off_and_the_reference() {
    let p = program();
    for (k, mut code) in programs().into_iter().enumerate() {
        for n in [1u64, 2, 3, 55, 56, 57, 300, 5000] {
            let (want, resume) = reference(&p, &mut code, n);
            for config in [
                Config { jit: false, ..Config::default() },
                Config::default(),
                opts("hotloop=1,hotexit=1"),
                opts("hotloop=2,hotexit=3,maxside=1"),
            ] {
                let label = format!("program {k}, n = {n}, {config:?}");
                let (got, r, d) = run(&p, &mut code, n, config.clone());
                assert_eq!(got[..3], want[..3], "{label}\n{}", d.log_lines.join("\n"));
                assert_eq!(r, resume, "{label}");
                if config.jit && n >= 300 {
                    assert!(d.stats.traces >= 1, "{label}: no trace\n{}", d.log_lines.join("\n"));
                    assert!(d.stats.trace_entries >= 1, "{label}");
                }
                if !config.jit {
                    assert_eq!(d.stats.traces, 0);
                }
            }
        }
    }
}

#[test]
fn hot_exits_get_side_traces_and_the_log_says_so() {
    let p = program();
    let mut code = programs()[1].clone();
    let (want, _) = reference(&p, &mut code, 1000);
    let (got, _, d) = run(&p, &mut code, 1000, opts("hotloop=5,hotexit=3"));
    assert_eq!(got[..3], want[..3]);
    assert!(d.stats.side_traces >= 1, "{}", d.log_lines.join("\n"));
    let log = d.log_lines.join("\n");
    assert!(log.starts_with("trace 1 start head pc=0x"), "{log}");
    assert!(log.contains("trace 1 compiled: "), "{log}");
    assert!(log.contains(", loop"), "{log}");
    assert!(log.contains("trace 2 start side of 1/snap"), "{log}");
    assert!(log.contains(", link 1"), "{log}");
    assert!(log.contains("trace 2 linked to 1/snap"), "{log}");
    let report = d.stats.report();
    assert!(report.contains("traces ("), "{report}");
    assert!(report.contains("median"), "{report}");
}

#[test]
fn a_location_that_keeps_aborting_is_blacklisted() {
    let p = program();
    let mut code = programs()[0].clone();
    // About 74,000 visits to the loop header before the penalties pass PENALTY_MAX. The
    // JIT-off run is the reference here (the reference interpreter is slow under qemu, and
    // the other tests hold the native interpreter to it).
    let n = 100_000;
    let (want, _, _) = run(&p, &mut code, n, Config { jit: false, ..Config::default() });
    let (got, _, d) = run(&p, &mut code, n, opts("hotloop=1,maxinsts=1"));
    assert_eq!(got[..3], want[..3]);
    assert_eq!(d.stats.traces, 0);
    assert_eq!(d.stats.blacklisted, 1, "{}", d.log_lines.join("\n"));
    assert!(d.stats.aborts.contains_key("trace too long (2 instructions)"), "{:?}", d.stats.aborts);
    let log = d.log_lines.join("\n");
    assert!(log.contains("trace 1 abort: trace too long"), "{log}");
    assert!(log.contains("blacklisted head pc=0x"), "{log}");
}

#[test]
fn the_code_cache_flushes_when_full_and_the_run_goes_on() {
    let p = program();
    let mut code = programs()[2].clone();
    let (want, _) = reference(&p, &mut code, 3000);
    let (got, _, d) = run(&p, &mut code, 3000, opts("hotloop=1,hotexit=1,maxtrace=2"));
    assert_eq!(got[..3], want[..3]);
    assert!(d.stats.flushes >= 1, "{}", d.log_lines.join("\n"));
    assert!(d.log_lines.iter().any(|l| l == "flush"));
}

#[test]
fn settings_from_the_environment_are_checked() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
    };
    let c = Config::from_vars(&vars(&[
        ("TRACERY_JIT", "off"),
        ("TRACERY_OPT", "hotloop=3,hotexit=4,maxside=5"),
        ("TRACERY_LOG", "trace"),
        ("TRACERY_DUMP", "ir,asm"),
    ]))
    .unwrap();
    assert!(!c.jit && c.log);
    assert_eq!((c.hotloop, c.hotexit, c.maxside), (3, 4, 5));
    assert_eq!(c.dumps.len(), 2);
    let err = |pairs| Config::from_vars(&vars(pairs)).unwrap_err().to_string();
    assert_eq!(err(&[("TRACERY_JIT", "maybe")]), "TRACERY_JIT=maybe: expected on or off");
    assert_eq!(
        err(&[("TRACERY_RECORDER", "lbr")]),
        "TRACERY_RECORDER=lbr: expected auto, software, pt or etm"
    );
    assert_eq!(err(&[("TRACERY_OPT", "hotloop")]), "TRACERY_OPT=hotloop: `hotloop` is not NAME=NUMBER");
    assert_eq!(
        err(&[("TRACERY_OPT", "hotloop=x")]),
        "TRACERY_OPT=hotloop=x: `x` in `hotloop=x` is not a number"
    );
    assert_eq!(
        err(&[("TRACERY_OPT", "hotness=3")]),
        "TRACERY_OPT=hotness=3: unknown setting `hotness` (hotloop, hotexit, maxside, maxtrace, maxmcode, maxrecord, maxinsts, maxsnaps)"
    );
    assert_eq!(
        err(&[("TRACERY_DUMP", "ir,bytes")]),
        "TRACERY_DUMP=ir,bytes: unknown dump `bytes` (record, ir, opt, regalloc, asm)"
    );
    assert_eq!(err(&[("TRACERY_LOG", "verbose")]), "TRACERY_LOG=verbose: expected trace or off");
}

#[test]
fn the_perf_map_names_every_trace_and_fragment() {
    let p = program();
    let mut code = programs()[1].clone();
    let config = Config { perfmap: true, ..opts("hotloop=2,hotexit=2") };
    let (_, _, d) = run(&p, &mut code, 500, config);
    let text = std::fs::read_to_string(tracery_runtime::perfmap::path()).unwrap();
    let lines = tracery_runtime::perfmap::parse(&text).unwrap();
    let traces = lines.iter().filter(|l| l.2.starts_with("tracery trace ")).count();
    assert!(traces >= d.stats.traces as usize && traces >= 1, "{text}");
    for f in ["next", "addn", "oddinc", "jnz"] {
        assert!(lines.iter().any(|l| l.2 == format!("tracery interp {f}")), "{f} missing\n{text}");
    }
    assert!(lines.iter().all(|l| l.1 > 0));
    assert!(tracery_runtime::perfmap::parse("zz 10 x").is_err());
}

#[test]
fn a_branch_that_alternates_settles_into_linked_traces() {
    let p = program();
    let mut code = programs()[1].clone();
    let (want, _) = reference(&p, &mut code, 20_000);
    let (got, _, d) = run(&p, &mut code, 20_000, Config { log: true, ..Config::default() });
    assert_eq!(got[..3], want[..3]);
    eprintln!("{}\n{}", d.log_lines.join("\n"), d.stats.report());
    assert!(d.stats.exits < 200, "exits keep coming back to the driver: {}", d.stats.exits);
}

//! Random Lua programs (loops, branches, integer and float arithmetic, tables, calls, string
//! building) run with the JIT off, with it on at hotloop=1 hotexit=1, and on lua5.4 when it
//! is installed: the outputs must agree. Each run takes a new seed base and prints it;
//! `LUA_RANDOM_SEED=S LUA_RANDOM_N=1` replays one program.

use std::process::Command;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const INTS: [&str; 3] = ["a", "b", "c"];
const FLOATS: [&str; 2] = ["x", "y"];

fn int_expr(r: &mut Rng, depth: u32) -> String {
    if depth == 0 || r.below(3) == 0 {
        return match r.below(4) {
            0 => format!("{}", r.below(100) as i64 - 30),
            1 => "i".to_string(),
            _ => r.pick(&INTS).to_string(),
        };
    }
    let (p, q) = (int_expr(r, depth - 1), int_expr(r, depth - 1));
    match r.below(7) {
        0 => format!("({p} + {q})"),
        1 => format!("({p} - {q})"),
        2 => format!("({p} * {q})"),
        // Divisors that are never zero.
        3 => format!("({p} // ({q} % 7 + 8))"),
        4 => format!("({p} % ({q} % 5 + 6))"),
        5 => format!("t[{q} % 8 + 1]"),
        _ => format!("f({p}, {q})"),
    }
}

fn float_expr(r: &mut Rng, depth: u32) -> String {
    if depth == 0 || r.below(3) == 0 {
        return match r.below(3) {
            0 => format!("{}.5", r.below(20)),
            _ => r.pick(&FLOATS).to_string(),
        };
    }
    let (p, q) = (float_expr(r, depth - 1), float_expr(r, depth - 1));
    match r.below(4) {
        0 => format!("({p} + {q})"),
        1 => format!("({p} - {q})"),
        2 => format!("({p} * 0.5)"),
        _ => format!("({p} + {} / 4)", int_expr(r, 1)),
    }
}

fn cond(r: &mut Rng) -> String {
    let op = r.pick(&["<", "<=", "==", "~=", ">", ">="]);
    if r.below(4) == 0 {
        format!("{} {op} {}", float_expr(r, 1), float_expr(r, 1))
    } else {
        format!("{} {op} {}", int_expr(r, 1), int_expr(r, 1))
    }
}

fn stmt(r: &mut Rng, depth: u32, out: &mut String, ind: &str) {
    match r.below(if depth == 0 { 4 } else { 7 }) {
        0 | 1 => out.push_str(&format!("{ind}{} = {}\n", r.pick(&INTS), int_expr(r, 2))),
        2 => out.push_str(&format!("{ind}{} = {}\n", r.pick(&FLOATS), float_expr(r, 2))),
        3 => out.push_str(&format!("{ind}t[{} % 8 + 1] = {}\n", int_expr(r, 1), int_expr(r, 1))),
        4 => {
            out.push_str(&format!("{ind}if {} then\n", cond(r)));
            stmt(r, depth - 1, out, &format!("{ind}  "));
            out.push_str(&format!("{ind}else\n"));
            stmt(r, depth - 1, out, &format!("{ind}  "));
            out.push_str(&format!("{ind}end\n"));
        }
        5 => {
            let n = r.below(30) + 1;
            out.push_str(&format!("{ind}for j = 1, {n} do\n"));
            stmt(r, depth - 1, out, &format!("{ind}  "));
            out.push_str(&format!("{ind}  a = a + j\n{ind}end\n"));
        }
        _ => out.push_str(&format!("{ind}s = s .. (c % 10)\n{ind}if #s > 40 then s = s:sub(-20) end\n")),
    }
}

fn program(seed: u64) -> String {
    let mut r = Rng(seed);
    let mut p = String::from("local a, b, c, x, y, s = 1, 2, 3, 0.5, 1.5, \"\"\n");
    p.push_str("local t = {3, 1, 4, 1, 5, 9, 2, 6}\n");
    p.push_str("local function f(p, q) if p > q then return p - q end return q % 13 + p end\n");
    let n = r.below(150) + 20;
    p.push_str(&format!("for i = 1, {n} do\n"));
    for _ in 0..(r.below(5) + 2) {
        stmt(&mut r, 3, &mut p, "  ");
    }
    p.push_str("end\nprint(a, b, c, x, y, s, table.concat(t, \",\"))\n");
    p
}

fn run(cmd: &str, args: &[&str], env: &[(&str, &str)], file: &std::path::Path) -> Option<(bool, String)> {
    let mut c = Command::new(cmd);
    c.args(args).arg(file);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    ))
}

#[test]
fn random_programs_agree_jit_off_jit_on_and_lua54() {
    let base = std::env::var("LUA_RANDOM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let n: u64 = std::env::var("LUA_RANDOM_N").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    println!(
        "random Lua programs: seeds {base}..{}; replay: LUA_RANDOM_SEED={base} LUA_RANDOM_N={n}",
        base + n
    );
    let bin = env!("CARGO_BIN_EXE_tracery-lua");
    let runner: Vec<String> = std::env::var("TRACERY_TEST_RUNNER")
        .map(|r| r.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let (cmd, pre): (String, Vec<String>) = if runner.is_empty() {
        (bin.to_string(), vec![])
    } else {
        (runner[0].clone(), runner[1..].iter().cloned().chain([bin.to_string()]).collect())
    };
    let pre: Vec<&str> = pre.iter().map(|s| s.as_str()).collect();
    let dir = std::env::temp_dir().join(format!("tracery-lua-random-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let have_lua = Command::new("lua5.4").arg("-v").output().is_ok();
    if !have_lua {
        println!("lua5.4 not installed: comparing JIT on against JIT off only");
    }
    for k in 0..n {
        let seed = base.wrapping_add(k);
        let src = program(seed);
        let file = dir.join(format!("p{seed}.lua"));
        std::fs::write(&file, &src).unwrap();
        let off = run(&cmd, &[&pre[..], &["-j", "off"]].concat(), &[], &file).expect("tracery-lua runs");
        let hot =
            run(&cmd, &[&pre[..], &["-j", "on"]].concat(), &[("TRACERY_OPT", "hotloop=1,hotexit=1")], &file)
                .expect("tracery-lua runs");
        assert!(off.0, "seed {seed}: -j off failed: {}\n{src}", off.1);
        assert_eq!(
            hot, off,
            "seed {seed}: JIT on differs from JIT off (replay: LUA_RANDOM_SEED={seed} LUA_RANDOM_N=1)\n{src}"
        );
        if have_lua {
            let want = run("lua5.4", &[], &[], &file).expect("lua5.4 runs");
            assert_eq!(off, want, "seed {seed}: tracery-lua differs from lua5.4 (replay: LUA_RANDOM_SEED={seed} LUA_RANDOM_N=1)\n{src}");
        }
        if std::env::var_os("LUA_RANDOM_KEEP").is_none() {
            let _ = std::fs::remove_file(&file);
        }
    }
}

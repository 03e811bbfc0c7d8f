//! Hands the commit being tested to the random differential test, which derives its seed
//! base from it (so every commit covers new seeds, and a run can be replayed). Set
//! `CROSS_TESTS_COMMIT` to override; without git the test falls back to the time.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=CROSS_TESTS_COMMIT");
    // Rebuild when HEAD moves: HEAD itself, the branch it names, and packed refs.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(r);
    }
    for w in watch {
        if let Some(p) = git(&["rev-parse", "--git-path", &w]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    let commit =
        std::env::var("CROSS_TESTS_COMMIT").ok().or_else(|| git(&["rev-parse", "HEAD"])).unwrap_or_default();
    println!("cargo:rustc-env=CROSS_TESTS_COMMIT={commit}");
}

//! `tracery decode pt TRACE [--image FILE@ADDR]... [--elf FILE@LOADADDR]... [--cpu F/M/S]
//! [--filter START-END] [--packets]`: libipt's ptdump (`--packets`) and ptxed listings.

use std::io::Write;
use std::path::Path;
use trace_ir::path::CodeImage;
use tracer_pt::{cpu::Cpu, flow, image, listing, packet};

fn num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn file_at(arg: &str) -> Option<(&str, u64)> {
    let (f, a) = arg.rsplit_once('@')?;
    Some((f, num(a)?))
}

pub fn main(args: &[String]) -> i32 {
    let mut trace = None;
    let mut img = CodeImage::new();
    let mut cfg = flow::Config::default();
    let mut packets = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |what: &str| match it.next() {
            Some(v) => Ok(v.clone()),
            None => Err(super::usage(&format!("decode pt: {a} needs {what}"))),
        };
        match a.as_str() {
            "--packets" => packets = true,
            "--image" | "--elf" => {
                let v = match val("FILE@ADDR") {
                    Ok(v) => v,
                    Err(rc) => return rc,
                };
                let Some((f, addr)) = file_at(&v) else {
                    return super::usage(&format!("decode pt: bad {a} argument `{v}` (want FILE@ADDR)"));
                };
                let r = if a == "--elf" {
                    image::add_elf_file(&mut img, Path::new(f), addr)
                } else {
                    image::add_raw_file(&mut img, Path::new(f), addr)
                };
                if let Err(e) = r {
                    eprintln!("tracery: decode pt: {e}");
                    return 1;
                }
            }
            "--cpu" => {
                let v = match val("FAMILY/MODEL/STEPPING") {
                    Ok(v) => v,
                    Err(rc) => return rc,
                };
                match Cpu::parse(&v) {
                    Some(c) => cfg.cpu = Some(c),
                    None => return super::usage(&format!("decode pt: bad --cpu `{v}` (want F/M/S)")),
                }
            }
            "--filter" => {
                let v = match val("START-END") {
                    Ok(v) => v,
                    Err(rc) => return rc,
                };
                let range = v.split_once('-').and_then(|(s, e)| Some((num(s)?, num(e)?)));
                match range {
                    Some((start, end)) if start <= end => cfg.filter = Some(flow::Filter { start, end }),
                    _ => return super::usage(&format!("decode pt: bad --filter `{v}` (want START-END)")),
                }
            }
            s if s.starts_with("--") => return super::usage(&format!("decode pt: unknown option `{s}`")),
            s => {
                if trace.replace(s.to_string()).is_some() {
                    return super::usage("decode pt: more than one TRACE given");
                }
            }
        }
    }
    let Some(trace) = trace else {
        return super::usage("decode pt: no TRACE given");
    };
    let buf = match image::read_regular_file(Path::new(&trace)) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("tracery: decode pt: {e}");
            return 1;
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res = if packets {
        packet::write_listing(&buf, &mut out).and_then(|(n, e)| {
            writeln!(out, "# packets {n}, errors {e}")?;
            out.flush()
        })
    } else {
        let mut sink = listing::Ptxed::new(&mut out);
        flow::FlowDecoder::new(&buf, &img, cfg).run(&mut sink);
        sink.finish().map(|_| ())
    };
    match res {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("tracery: decode pt: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert_eq!(main(&args(&[])), 2);
        assert_eq!(main(&args(&["t", "--cpu", "six"])), 2);
        assert_eq!(main(&args(&["t", "--filter", "0x20-0x10"])), 2);
        assert_eq!(main(&args(&["t", "--elf"])), 2);
        assert_eq!(main(&args(&["t", "--image", "noaddress"])), 2);
        assert_eq!(main(&args(&["t", "--bogus"])), 2);
        assert_eq!(main(&args(&["a", "b"])), 2);
    }

    #[test]
    fn missing_files_are_errors() {
        assert_eq!(main(&args(&["/nonexistent/trace"])), 1);
        assert_eq!(main(&args(&["t", "--elf", "/nonexistent/a.out@0x400000"])), 1);
    }

    #[test]
    fn number_and_file_forms() {
        assert_eq!(num("0x400000"), Some(0x400000));
        assert_eq!(num("140737349783552"), Some(0x7ffff7bd9000));
        assert_eq!(file_at("dir/a@b.so@0x10"), Some(("dir/a@b.so", 0x10)));
        assert_eq!(file_at("a.so@zz"), None);
    }
}

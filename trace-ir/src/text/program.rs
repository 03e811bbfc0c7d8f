//! The text of fragment programs: a header that declares the slots, the dispatch tables and
//! the entry, then each fragment as `fragment NAME` followed by its body in the trace format,
//! where snapshot targets are written by name (`-> op_add`, `-> dispatch ops[3]`).
//!
//! ```text
//! program counter
//! slot 0 pc : i64 green
//! slot 1 n : i64
//! table ops = step, done
//! entry step
//! control step
//!
//! fragment step
//! ...
//! ```

use std::fmt::Write;

use super::lex::{lex_line, to_u32, Tok};
use super::parse::{parse_in, TargetNames};
use super::{ParseError, Printer};
use crate::fragment::{Fragment, Program, SlotDecl, Table};
use crate::types::Type;

fn perr(line: u32, col: u32, message: String) -> ParseError {
    ParseError { line, col, message }
}

/// Parses a program. Like `parse`, it checks names, not types: run
/// `fragment::verify::verify` next.
pub fn parse_program(src: &str) -> Result<Program, ParseError> {
    let lines: Vec<&str> = src.split('\n').collect();
    // Fragment sections: (header line index, name, name column).
    let mut sections: Vec<(usize, String)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let toks = lex_line(l, to_u32(i + 1))?;
        if toks.first().map(|t| t.tok) == Some(Tok::Word("fragment")) {
            let line = to_u32(i + 1);
            let name = match toks.get(1).map(|t| t.tok) {
                Some(Tok::Word(w)) => w.to_string(),
                _ => {
                    return Err(perr(
                        line,
                        toks.get(1).map_or(1, |t| t.col),
                        "expected a fragment name after `fragment`".into(),
                    ))
                }
            };
            if let Some(t) = toks.get(2).filter(|t| t.tok != Tok::Eol) {
                return Err(perr(line, t.col, format!("expected end of line, found {}", t.tok.describe())));
            }
            if let Some((j, _)) = sections.iter().find(|(_, n)| *n == name) {
                return Err(perr(
                    line,
                    toks[1].col,
                    format!("fragment `{name}` is already defined on line {}", j + 1),
                ));
            }
            sections.push((i, name));
        }
    }
    let header_end = sections.first().map_or(lines.len(), |s| s.0);
    let mut p = Program::default();
    let mut controls: Vec<(String, u32, u32)> = Vec::new();
    let mut names = TargetNames::default();
    for (k, (_, n)) in sections.iter().enumerate() {
        names.fragments.insert(n.clone(), k as u32);
    }
    let mut raw_tables: Vec<(u32, Vec<(String, u32)>)> = Vec::new();
    let mut entry: Option<(String, u32, u32)> = None;
    for (i, l) in lines[..header_end].iter().enumerate() {
        let line = to_u32(i + 1);
        let toks = lex_line(l, line)?;
        let word = |k: usize| match toks.get(k).map(|t| t.tok) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        };
        let col = |k: usize| toks.get(k).or(toks.last()).map_or(1, |t| t.col);
        let found = |k: usize| toks.get(k).map_or("end of line".to_string(), |t| t.tok.describe());
        let end = |k: usize| -> Result<(), ParseError> {
            match toks.get(k) {
                Some(t) if t.tok != Tok::Eol => {
                    Err(perr(line, t.col, format!("expected end of line, found {}", found(k))))
                }
                _ => Ok(()),
            }
        };
        match toks.first().map(|t| t.tok) {
            None | Some(Tok::Eol) => {}
            Some(Tok::Word("program")) => {
                if p.name.is_some() || !p.slots.is_empty() || !p.tables.is_empty() {
                    return Err(perr(line, 1, "`program NAME` may only be the first line".into()));
                }
                let n = word(1).ok_or_else(|| {
                    perr(line, col(1), format!("expected a program name, found {}", found(1)))
                })?;
                p.name = Some(n.to_string());
                end(2)?;
            }
            Some(Tok::Word("slot")) => {
                let n = match toks.get(1).map(|t| t.tok) {
                    Some(Tok::Num(n)) => n.parse::<u32>().ok(),
                    _ => None,
                };
                let Some(n) = n else {
                    return Err(perr(
                        line,
                        col(1),
                        format!("expected a slot number after `slot`, found {}", found(1)),
                    ));
                };
                if n as usize != p.slots.len() {
                    return Err(perr(
                        line,
                        col(1),
                        format!(
                            "slot {n} declared where slot {} comes next (slots are declared in order from 0)",
                            p.slots.len()
                        ),
                    ));
                }
                let name = word(2)
                    .ok_or_else(|| perr(line, col(2), format!("expected a slot name, found {}", found(2))))?;
                if toks.get(3).map(|t| t.tok) != Some(Tok::Punct(':')) {
                    return Err(perr(
                        line,
                        col(3),
                        format!("expected `:` after the slot name, found {}", found(3)),
                    ));
                }
                let ty = word(4)
                    .and_then(Type::from_name)
                    .ok_or_else(|| perr(line, col(4), format!("expected a type, found {}", found(4))))?;
                let (mut green, mut temp) = (false, false);
                let mut k = 5;
                while let Some(w) = word(k) {
                    match w {
                        "green" if !green => green = true,
                        "temp" if !temp => temp = true,
                        _ => {
                            return Err(perr(
                                line,
                                col(k),
                                format!("expected `green`, `temp` or end of line, found `{w}`"),
                            ))
                        }
                    }
                    k += 1;
                }
                end(k)?;
                p.slots.push(SlotDecl { name: name.to_string(), ty, green, temp });
            }
            Some(Tok::Word("table")) => {
                let name = word(1).ok_or_else(|| {
                    perr(line, col(1), format!("expected a table name, found {}", found(1)))
                })?;
                if toks.get(2).map(|t| t.tok) != Some(Tok::Punct('=')) {
                    return Err(perr(
                        line,
                        col(2),
                        format!("expected `=` after the table name, found {}", found(2)),
                    ));
                }
                let mut entries = Vec::new();
                let mut k = 3;
                loop {
                    let f = word(k).ok_or_else(|| {
                        perr(line, col(k), format!("expected a fragment name, found {}", found(k)))
                    })?;
                    entries.push((f.to_string(), col(k)));
                    k += 1;
                    match toks.get(k).map(|t| t.tok) {
                        Some(Tok::Punct(',')) => k += 1,
                        _ => break,
                    }
                }
                end(k)?;
                if names.tables.insert(name.to_string(), p.tables.len() as u32).is_some() {
                    return Err(perr(line, col(1), format!("table `{name}` is declared twice")));
                }
                p.tables.push(Table { name: name.to_string(), targets: Vec::new() });
                raw_tables.push((line, entries));
            }
            Some(Tok::Word("control")) => {
                let f = word(1).ok_or_else(|| {
                    perr(line, col(1), format!("expected a control-point fragment, found {}", found(1)))
                })?;
                if controls.iter().any(|c| c.0 == f) {
                    return Err(perr(line, col(1), format!("`{f}` is already a control point")));
                }
                controls.push((f.to_string(), line, col(1)));
                end(2)?;
            }
            Some(Tok::Word("entry")) => {
                let f = word(1).ok_or_else(|| {
                    perr(line, col(1), format!("expected the entry fragment, found {}", found(1)))
                })?;
                if entry.is_some() {
                    return Err(perr(line, 1, "the entry is declared twice".into()));
                }
                entry = Some((f.to_string(), line, col(1)));
                end(2)?;
            }
            Some(t) => {
                return Err(perr(
                    line,
                    col(0),
                    format!(
                        "expected `program`, `slot`, `table`, `entry` or `fragment`, found {}",
                        t.describe()
                    ),
                ))
            }
        }
    }
    let resolve = |name: &str, line: u32, col: u32| -> Result<u32, ParseError> {
        names
            .fragments
            .get(name)
            .copied()
            .ok_or_else(|| perr(line, col, format!("unknown fragment `{name}`")))
    };
    for (t, (line, entries)) in raw_tables.iter().enumerate() {
        for (f, col) in entries {
            let id = resolve(f, *line, *col)?;
            p.tables[t].targets.push(id);
        }
    }
    let Some((e, line, col)) = entry else {
        return Err(perr(
            to_u32(header_end.max(1)),
            1,
            "the program needs `entry FRAGMENT` before its fragments".into(),
        ));
    };
    p.entry = resolve(&e, line, col)?;
    for (f, line, col) in &controls {
        p.controls.push(resolve(f, *line, *col)?);
    }
    for (k, (start, name)) in sections.iter().enumerate() {
        let stop = sections.get(k + 1).map_or(lines.len(), |s| s.0);
        let body_src = lines[start + 1..stop].join("\n");
        let mut body = parse_in(&body_src, to_u32(start + 2), Some(&names))?;
        body.name = Some(name.clone());
        p.fragments.push(Fragment { name: name.clone(), body });
    }
    Ok(p)
}

/// The canonical text of a program.
pub fn print_program(p: &Program) -> String {
    let mut out = String::new();
    if let Some(n) = &p.name {
        let _ = writeln!(out, "program {n}");
    }
    for (i, s) in p.slots.iter().enumerate() {
        let _ = write!(out, "slot {i} {} : {}", s.name, s.ty);
        if s.green {
            out.push_str(" green");
        }
        if s.temp {
            out.push_str(" temp");
        }
        out.push('\n');
    }
    let fnames = p.fragment_names();
    let tnames = p.table_names();
    let fname = |f: u32| fnames.get(f as usize).cloned().unwrap_or_else(|| f.to_string());
    for t in &p.tables {
        let ts: Vec<String> = t.targets.iter().map(|&f| fname(f)).collect();
        let _ = writeln!(out, "table {} = {}", t.name, ts.join(", "));
    }
    let _ = writeln!(out, "entry {}", fname(p.entry));
    for &c in &p.controls {
        let _ = writeln!(out, "control {}", fname(c));
    }
    for f in &p.fragments {
        let mut body = f.body.clone();
        body.name = None;
        let _ =
            write!(out, "\nfragment {}\n{}", f.name, Printer::in_program(&body, &fnames, &tnames).trace());
    }
    out
}

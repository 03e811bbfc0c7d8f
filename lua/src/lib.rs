//! tracery-lua: Lua 5.4 on Tracery.
//!
//! The front end (`lex`, `parse`, `compile`) turns source into register bytecode
//! (`bytecode`). The object runtime (`value`, `gc`, `string`, `table`, `number`) holds Lua's
//! values in a heap with a tracing collector. The VM (`vm/`) is a Tracery fragment program:
//! its handlers are IR fragments, run by the native interpreter and traced by
//! `tracery-runtime`; what a handler cannot say in straight-line IR it calls a native helper
//! for. The library (`lib/`) is Rust, plus a prelude written in Lua for the functions that
//! call back into Lua (so no helper ever re-enters the VM). This crate is the only place in
//! Tracery that knows Lua exists.

pub mod ast;
pub mod bytecode;
pub mod compile;
pub mod lex;
pub mod parse;

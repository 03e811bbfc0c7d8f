//! Native functions a trace may call by name (`call.i64 @name(...)`).
//!
//! A backend needs each function's address. The reference interpreter cannot call an
//! arbitrary native signature, so each entry may also carry a Rust model of the function
//! that takes and returns canonical 64-bit slot values.

use std::collections::HashMap;
use std::sync::Arc;

/// A Rust model of a native function: canonical argument bits in, canonical result bits out.
pub type Model = Arc<dyn Fn(&[u64]) -> u64 + Send + Sync>;

#[derive(Clone)]
pub struct NativeFn {
    /// The address of an `extern "C"` function with the trace's argument and result types.
    pub addr: u64,
    /// What the reference interpreter runs instead of the native code.
    pub model: Option<Model>,
}

#[derive(Clone, Default)]
pub struct Symbols {
    by_name: HashMap<String, NativeFn>,
}

impl Symbols {
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// Registers `name` at `addr`, with a model for the reference interpreter.
    pub fn define(&mut self, name: &str, addr: u64, model: impl Fn(&[u64]) -> u64 + Send + Sync + 'static) {
        self.by_name.insert(name.to_string(), NativeFn { addr, model: Some(Arc::new(model)) });
    }

    /// Registers `name` at `addr` with no model (only backends can call it).
    pub fn define_native(&mut self, name: &str, addr: u64) {
        self.by_name.insert(name.to_string(), NativeFn { addr, model: None });
    }

    pub fn get(&self, name: &str) -> Option<&NativeFn> {
        self.by_name.get(name)
    }

    pub fn addr(&self, name: &str) -> Option<u64> {
        self.by_name.get(name).map(|f| f.addr)
    }

    /// The function at `addr`, for calls through a computed address.
    pub fn by_addr(&self, addr: u64) -> Option<(&str, &NativeFn)> {
        self.by_name.iter().find(|(_, f)| f.addr == addr).map(|(n, f)| (n.as_str(), f))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(|s| s.as_str())
    }
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (n, v) in &self.by_name {
            m.entry(n, &format_args!("{:#x}", v.addr));
        }
        m.finish()
    }
}

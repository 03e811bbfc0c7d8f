//! The VM: the fragment program (`program`), the helper that runs one instruction
//! (`exec`) and what it is made of, and `Vm`, which owns a state and the runtime's driver
//! and runs chunks on them.

pub mod arith;
pub mod call;
pub mod closure;
pub mod error;
pub mod exec;
pub mod forloop;
pub mod gc;
pub mod obj;
pub mod program;
pub mod table;
pub mod thread;

use std::collections::HashMap;

use tracery_runtime::config::Config;
use tracery_runtime::driver::{Driver, RunError};

use crate::bytecode::Proto;
use crate::state::{CallInfo, FrameKind, HostReason, ImmView, Regs, State};
use crate::value::TValue;
use crate::vm::thread::{Thread, STACK_SLOTS};

/// How a run ended for the host.
#[derive(Debug)]
pub enum Ended {
    Ok,
    /// An error nothing caught: lua5.4's message (without "lua: ").
    Error(String),
    Exit(i32),
    /// (Inside `run_loop`: an uncaught error value, before its message is made.)
    UncaughtValue(TValue),
}

pub struct Vm {
    /// Boxed: fragments and traces hold its address.
    pub state: Box<State>,
    pub driver: Driver,
    /// The main thread (owned by its heap object, pinned).
    main: *mut Thread,
}

pub fn symbols() -> trace_ir::Symbols {
    let mut s = trace_ir::Symbols::new();
    s.define_native(program::EXEC_SYMBOL, exec::lua_exec as *const () as u64);
    s
}

impl Vm {
    pub fn new(config: Config) -> Result<Vm, RunError> {
        let prog = program::program();
        let driver = Driver::new(&prog, symbols(), config)?;
        let main = Thread::new(TValue::nil(), STACK_SLOTS)
            .map_err(|_| RunError::Config("cannot map the VM stack".into()))?;
        let mut heap = crate::gc::Heap::new();
        let mobj = heap.new_opaque(
            crate::gc::K_THREAD,
            Box::new(main),
            Some(crate::stdlib::coroutine::trace_thread),
        );
        heap.pin(mobj);
        let main_value = TValue::thread(mobj);
        let main = crate::vm::call::thread_of(main_value) as *mut Thread;
        let globals = heap.new_table(0, 64);
        let registry = heap.new_table(0, 8);
        let mp = main;
        let state = Box::new(State {
            regs: Regs { pc: 0, base: 0, k: 0 },
            heap,
            globals,
            registry,
            string_meta: std::ptr::null_mut(),
            thread: mp,
            main_thread: mp,
            main_value,
            error: TValue::nil(),
            host: HostReason::None,
            rets: Vec::new(),
            protos: Vec::new(),
            names: HashMap::default(),
            script_dir: ".".into(),
            imm: Vec::new(),
            out: Vec::new(),
            script_args: Vec::new(),
            current_native: TValue::nil(),
            handoff: TValue::nil(),
            index_key: 0,
            newindex_key: 0,
            c_caller: false,
            rng: crate::number::Rng::default(),
            file_meta: std::ptr::null_mut(),
            stdout_value: TValue::nil(),
            stdin_value: TValue::nil(),
            native_c_caller: false,
            in_native: false,
        });
        let mut vm = Vm { state, driver, main };
        vm.state.index_key = vm.state.name("__index").val;
        vm.state.newindex_key = vm.state.name("__newindex").val;
        crate::stdlib::open(&mut vm.state);
        let prelude = crate::compile::compile(crate::stdlib::PRELUDE.as_bytes(), "prelude")
            .map_err(|e| RunError::Config(format!("the prelude does not compile: {e}")))?;
        let args = crate::stdlib::prelude_args(&mut vm.state);
        match vm.run_main(&prelude, &args)? {
            Ended::Ok => Ok(vm),
            e => Err(RunError::Config(format!("the prelude failed: {e:?}"))),
        }
    }

    /// Sets the global `arg` as lua5.4 does: the script at 0, the interpreter and its
    /// options below, the script's arguments from 1.
    pub fn set_args(&mut self, argv: &[String], script_at: usize) {
        let l = &mut *self.state;
        let t = l.heap.new_table(argv.len(), 2);
        for (i, a) in argv.iter().enumerate() {
            let v = l.heap.str_value(a.as_bytes());
            // SAFETY: `t` was just made and is live.
            unsafe { (*t).set_int(i as i64 - script_at as i64, v) };
        }
        let g = l.globals;
        crate::stdlib::set_field(l, g, "arg", TValue::table(t));
        l.script_args = argv.iter().skip(script_at + 1).map(|s| s.as_bytes().to_vec()).collect();
    }

    /// The main chunk's varargs.
    pub fn script_args(&mut self) -> Vec<TValue> {
        let l = &mut *self.state;
        let a = std::mem::take(&mut l.script_args);
        let v = a.iter().map(|s| l.heap.str_value(s)).collect();
        l.script_args = a;
        v
    }

    /// Runs a compiled main chunk with `args` as its varargs.
    pub fn run_main(&mut self, proto: &Proto, args: &[TValue]) -> Result<Ended, RunError> {
        let l = &mut *self.state;
        let p = l.load_proto(proto);
        let env = TValue::table(l.globals);
        let uv = l.heap.new_upval_closed(env);
        let f = TValue::lclosure(l.heap.new_lclosure(p as *mut crate::gc::Opaque, vec![uv]));
        // SAFETY: the main thread lives (pinned) as long as the state.
        let t = unsafe { &mut *self.main };
        let func = t.stack;
        // SAFETY: the bottom slots of the fresh main stack.
        unsafe {
            *func = f;
            std::ptr::copy_nonoverlapping(args.as_ptr(), func.add(1), args.len());
        }
        t.touch(func.wrapping_add(args.len() + 1));
        t.ci.clear();
        // A sentinel frame below the main chunk, so "the caller" always exists.
        t.ci.push(CallInfo::bottom(func, func.wrapping_add(args.len() + 1), FrameKind::Main));
        t.ci.pop();
        if let Err(e) = call::call(l, func, args.len(), func, -1, FrameKind::Main) {
            let m = self.error_message(e.0);
            return Ok(Ended::Error(m));
        }
        match self.run_loop()? {
            Ended::UncaughtValue(e) => Ok(Ended::Error(self.error_message(e))),
            other => Ok(other),
        }
    }

    /// Closes the state as lua_close does: every object still registered for finalization
    /// gets its `__gc` called (errors in them are dropped).
    pub fn close(&mut self) {
        let l = &mut *self.state;
        l.heap.finalize_all();
        if !l.heap.has_pending_finalizers() {
            return;
        }
        let r = l.registry;
        let runner = crate::stdlib::get_field(l, r, crate::stdlib::base::FINALIZER_RUNNER);
        // SAFETY: the main thread lives as long as the state; nothing runs on it now.
        let t = unsafe { &mut *self.main };
        let func = t.stack;
        t.ci.clear();
        // SAFETY: the bottom slot of the main stack.
        unsafe { *func = runner };
        t.touch(func.wrapping_add(1));
        l.thread = self.main;
        if call::call(l, func, 0, func, 0, FrameKind::Main).is_ok() {
            let _ = self.run_loop();
        }
        self.state.flush_out();
    }

    /// What the host prints for an uncaught error: the string (or number), the result of
    /// its `__tostring` (run here, on the VM, like any call), or lua5.4's "(error object is a
    /// X value)".
    fn error_message(&mut self, e: TValue) -> String {
        let l = &mut *self.state;
        let m = obj::metamethod(l, e, "__tostring");
        if m.is_nil() || e.tag == crate::value::T_STR {
            return error_text(l, e);
        }
        // SAFETY: the main thread lives as long as the state; its stack is free (the
        // error unwound it).
        let t = unsafe { &mut *self.main };
        let func = t.stack;
        t.ci.clear();
        // SAFETY: the bottom slots of the main stack.
        unsafe {
            *func = m;
            *func.add(1) = e;
        }
        l.thread = self.main;
        if call::call(l, func, 1, func, 1, FrameKind::Main).is_err() {
            return error_text(l, e);
        }
        match self.run_loop() {
            Ok(Ended::Ok) => {
                // SAFETY: the one result was placed at the function's slot.
                let r = unsafe { *func };
                let l = &mut *self.state;
                if r.tag == crate::value::T_STR || r.is_number() {
                    error_text(l, r)
                } else {
                    error_text(l, e)
                }
            }
            _ => error_text(&mut self.state, e),
        }
    }

    fn run_loop(&mut self) -> Result<Ended, RunError> {
        loop {
            let l = &mut *self.state;
            l.host = HostReason::None;
            let lp = l as *mut State as u64;
            let mut slots = [l.regs.pc, l.regs.k, l.regs.base, lp, 0, 0];
            let imm = std::mem::take(&mut l.imm);
            // SAFETY: the fragments and traces run Lua code on this state: every address
            // they use comes from the state's stacks, heap and prototypes, which outlive
            // the run; `imm` lists prototype code and constants, which never change.
            let r = unsafe { self.driver.run(&mut slots, &ImmView(&imm)) };
            let l = &mut *self.state;
            l.imm = imm;
            r?;
            l.flush_out();
            match l.host {
                HostReason::Finished => return Ok(Ended::Ok),
                HostReason::Exit(c) => return Ok(Ended::Exit(c)),
                HostReason::Error => {
                    let e = l.error;
                    match call::unwind(l, e) {
                        None => continue,
                        Some(e) => return Ok(Ended::UncaughtValue(e)),
                    }
                }
                HostReason::None => return Ok(Ended::Error("the interpreter stopped unexpectedly".into())),
            }
        }
    }
}

/// What lua5.4 prints for an uncaught error value.
pub fn error_text(_l: &mut State, e: TValue) -> String {
    use crate::value::*;
    match e.tag {
        T_STR => String::from_utf8_lossy(obj::str_bytes(e)).into_owned(),
        T_INT | T_FLOAT => crate::number::fmt_number(e),
        T_NIL => "nil".into(),
        _ => format!("(error object is a {} value)", e.type_name()),
    }
}

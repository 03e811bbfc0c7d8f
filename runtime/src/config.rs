//! The runtime's settings, from code or from the environment (`TRACERY_JIT`,
//! `TRACERY_RECORDER`, `TRACERY_OPT`, `TRACERY_LOG`, `TRACERY_DUMP`, `TRACERY_STATS`,
//! `TRACERY_PERFMAP`). A bad value is an error that names it, never a silent default.

/// Which recorder records hot loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorder {
    /// The hardware tracer where one works, else the software log.
    Auto,
    Software,
    Pt,
    Etm,
}

/// What `TRACERY_DUMP` may ask for, per trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dump {
    Record,
    Ir,
    Opt,
    Regalloc,
    Asm,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub jit: bool,
    pub recorder: Recorder,
    /// Executions of a control point before its loop is recorded.
    pub hotloop: u32,
    /// Times an exit is taken before a side trace is recorded from it.
    pub hotexit: u32,
    /// Side traces per root trace.
    pub maxside: u32,
    /// Traces in the cache before it is flushed.
    pub maxtrace: u32,
    /// Bytes of trace code before the cache is flushed.
    pub maxmcode: u64,
    /// Words of software log one recording may fill.
    pub maxrecord: usize,
    /// Instructions and snapshots one trace may have.
    pub maxinsts: usize,
    pub maxsnaps: usize,
    /// One line per trace event on stderr.
    pub log: bool,
    pub dumps: Vec<Dump>,
    /// Statistics on stderr when the driver is dropped.
    pub stats: bool,
    /// `/tmp/perf-PID.map` lines for every trace and fragment.
    pub perfmap: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            jit: true,
            recorder: Recorder::Auto,
            hotloop: 56,
            hotexit: 10,
            maxside: 100,
            maxtrace: 1000,
            maxmcode: 64 << 20,
            maxrecord: 1 << 16,
            maxinsts: 4000,
            maxsnaps: 500,
            log: false,
            dumps: Vec::new(),
            stats: false,
            perfmap: false,
        }
    }
}

/// A setting that could not be read: which variable, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn bad(var: &str, value: &str, want: &str) -> ConfigError {
    ConfigError(format!("{var}={value}: {want}"))
}

impl Config {
    /// The defaults, changed by whatever `TRACERY_*` variables are set.
    pub fn from_env() -> Result<Config, ConfigError> {
        let get = |k: &str| std::env::var(k).ok();
        Config::from_vars(&|k| get(k))
    }

    /// As `from_env`, with the variables looked up through `var` (for tests).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        if let Some(v) = var("TRACERY_JIT") {
            c.jit = match v.as_str() {
                "on" | "1" => true,
                "off" | "0" => false,
                _ => return Err(bad("TRACERY_JIT", &v, "expected on or off")),
            };
        }
        if let Some(v) = var("TRACERY_RECORDER") {
            c.recorder = match v.as_str() {
                "auto" => Recorder::Auto,
                "software" => Recorder::Software,
                "pt" => Recorder::Pt,
                "etm" => Recorder::Etm,
                _ => return Err(bad("TRACERY_RECORDER", &v, "expected auto, software, pt or etm")),
            };
        }
        if let Some(v) = var("TRACERY_OPT") {
            c.set_opts(&v)?;
        }
        if let Some(v) = var("TRACERY_LOG") {
            c.log = match v.as_str() {
                "trace" | "1" => true,
                "" | "0" | "off" => false,
                _ => return Err(bad("TRACERY_LOG", &v, "expected trace or off")),
            };
        }
        if let Some(v) = var("TRACERY_DUMP") {
            for d in v.split(',').filter(|d| !d.is_empty()) {
                c.dumps.push(match d {
                    "record" => Dump::Record,
                    "ir" => Dump::Ir,
                    "opt" => Dump::Opt,
                    "regalloc" => Dump::Regalloc,
                    "asm" => Dump::Asm,
                    _ => {
                        return Err(bad(
                            "TRACERY_DUMP",
                            &v,
                            &format!("unknown dump `{d}` (record, ir, opt, regalloc, asm)"),
                        ))
                    }
                });
            }
        }
        if let Some(v) = var("TRACERY_STATS") {
            c.stats = match v.as_str() {
                "1" | "on" => true,
                "0" | "off" | "" => false,
                _ => return Err(bad("TRACERY_STATS", &v, "expected 1 or 0")),
            };
        }
        if let Some(v) = var("TRACERY_PERFMAP") {
            c.perfmap = match v.as_str() {
                "1" | "on" => true,
                "0" | "off" | "" => false,
                _ => return Err(bad("TRACERY_PERFMAP", &v, "expected 1 or 0")),
            };
        }
        Ok(c)
    }

    /// `hotloop=56,hotexit=10,...`: each a name LuaJIT's `-O` also knows, or one of ours.
    pub fn set_opts(&mut self, spec: &str) -> Result<(), ConfigError> {
        for item in spec.split(',').filter(|s| !s.is_empty()) {
            let Some((k, v)) = item.split_once('=') else {
                return Err(bad("TRACERY_OPT", spec, &format!("`{item}` is not NAME=NUMBER")));
            };
            let n: u64 = v
                .parse()
                .map_err(|_| bad("TRACERY_OPT", spec, &format!("`{v}` in `{item}` is not a number")))?;
            let small = |n: u64| -> Result<u32, ConfigError> {
                u32::try_from(n).map_err(|_| bad("TRACERY_OPT", spec, &format!("`{item}` is too large")))
            };
            match k {
                "hotloop" => self.hotloop = small(n)?.max(1),
                "hotexit" => self.hotexit = small(n)?.max(1),
                "maxside" => self.maxside = small(n)?,
                "maxtrace" => self.maxtrace = small(n)?.max(1),
                "maxmcode" => self.maxmcode = n.max(1),
                "maxrecord" => self.maxrecord = (n as usize).max(16),
                "maxinsts" => self.maxinsts = (n as usize).max(1),
                "maxsnaps" => self.maxsnaps = (n as usize).max(1),
                _ => {
                    return Err(bad(
                        "TRACERY_OPT",
                        spec,
                        &format!("unknown setting `{k}` (hotloop, hotexit, maxside, maxtrace, maxmcode, maxrecord, maxinsts, maxsnaps)"),
                    ))
                }
            }
        }
        Ok(())
    }
}

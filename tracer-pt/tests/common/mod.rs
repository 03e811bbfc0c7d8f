//! Shared helpers for the integration tests: where the conformance data is, and the captures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use trace_ir::path::CodeImage;
use tracer_pt::image;

/// `<repo>/../shared`, where the conformance data and tools live (never copied into the repo).
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let data = p.join("testdata/pt");
    assert!(
        data.is_dir(),
        "Intel PT conformance data missing: expected {} (the shared testdata next to the repository; \
         see ../shared/testdata/README.md)",
        data.display()
    );
    p
}

pub fn lldb() -> PathBuf {
    shared().join("testdata/pt/lldb-trace-tests")
}

pub fn reference() -> PathBuf {
    shared().join("testdata/pt/reference-libipt/lldb-trace-tests")
}

/// One capture: its name in reference-libipt, the trace file and the ELF images to load.
pub struct Capture {
    pub name: &'static str,
    pub trace: &'static str,
    pub elfs: &'static [(&'static str, u64)],
    /// family, model, stepping of the recording CPU (from the trace descriptors).
    pub cpu: (u16, u8, u8),
}

pub const CAPTURES: &[Capture] = &[
    Capture {
        name: "3842849",
        trace: "intelpt-trace/3842849.trace",
        elfs: &[("intelpt-trace/a.out", 0x400000)],
        cpu: (6, 79, 1),
    },
    Capture {
        name: "multi-file",
        trace: "intelpt-trace-multi-file/multi-file.trace",
        elfs: &[
            ("intelpt-trace-multi-file/a.out", 0x400000),
            ("intelpt-trace-multi-file/libfoo.so", 140737349783552),
            ("intelpt-trace-multi-file/libbar.so", 140737347678208),
        ],
        cpu: (6, 79, 1),
    },
    Capture {
        name: "core45",
        trace: "intelpt-multi-core-trace/cores/45.intelpt_trace",
        elfs: &[("intelpt-multi-core-trace/modules/m.out", 0x400000)],
        cpu: (6, 85, 4),
    },
    Capture {
        name: "core51",
        trace: "intelpt-multi-core-trace/cores/51.intelpt_trace",
        elfs: &[("intelpt-multi-core-trace/modules/m.out", 0x400000)],
        cpu: (6, 85, 4),
    },
];

impl Capture {
    pub fn bytes(&self) -> Vec<u8> {
        let p = lldb().join(self.trace);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    pub fn image(&self) -> CodeImage {
        let mut img = CodeImage::new();
        for (f, at) in self.elfs {
            image::add_elf_file(&mut img, &lldb().join(f), *at).unwrap();
        }
        img
    }
}

/// A fresh path in the temp directory for this test process.
pub fn temp_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tracer-pt-{}-{name}", std::process::id()))
}

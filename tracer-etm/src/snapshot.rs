//! CoreSight snapshot directories (the format OpenCSD and DS-5 use): `snapshot.ini` lists the
//! devices, each device's `.ini` holds its registers and memory dumps, `trace.ini` lists the
//! trace buffers and which source feeds which buffer.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use trace_ir::path::CodeImage;

use crate::config::EtmConfig;
use crate::ini::{self, Section};

#[derive(Debug)]
pub enum SnapshotError {
    Io {
        path: PathBuf,
        err: std::io::Error,
    },
    /// A required file, section or key is absent.
    Missing(String),
    /// A value could not be understood.
    Bad(String),
    /// A trace source feeds a buffer in a protocol this decoder does not read (PTM or
    /// ETMv3: only ETMv4 and ETE are decoded). Its trace would otherwise vanish silently.
    UnsupportedProtocol {
        device: String,
        protocol: String,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io { path, err } => write!(f, "{}: {err}", path.display()),
            SnapshotError::Missing(w) => write!(f, "snapshot: missing {w}"),
            SnapshotError::Bad(w) => write!(f, "snapshot: bad {w}"),
            SnapshotError::UnsupportedProtocol { device, protocol } => write!(
                f,
                "snapshot: trace source {device} uses {protocol}, which is not supported (only ETMv4 and ETE are)"
            ),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// How a buffer's bytes are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferFormat {
    /// CoreSight formatter frames with several trace IDs.
    Coresight,
    /// One source's raw byte stream (TRBE, or a sink fed by a single source).
    SourceData,
}

#[derive(Clone, Debug)]
pub struct TraceBuffer {
    pub name: String,
    pub format: BufferFormat,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Device {
    pub name: String,
    pub class: String,
    pub dev_type: String,
    pub regs: HashMap<String, u64>,
}

impl Device {
    pub fn is_trace_source(&self) -> bool {
        self.class.eq_ignore_ascii_case("trace_source")
    }

    /// An instruction trace source in a protocol we do not decode: PTM (program flow
    /// trace) or ETMv3 and older.
    pub fn is_unsupported_program_trace(&self) -> bool {
        let t = self.dev_type.to_ascii_uppercase();
        let etm_v = t.strip_prefix("ETM").map(|v| v.trim_start_matches(['V', ' ', '-', '_']));
        self.is_trace_source()
            && (t.starts_with("PTM") || etm_v.is_some_and(|v| v.starts_with(['1', '2', '3'])))
    }

    /// ETMv4 or ETE instruction trace source.
    pub fn is_etm(&self) -> bool {
        let t = self.dev_type.to_ascii_uppercase();
        self.is_trace_source() && (t.starts_with("ETM4") || t.starts_with("ETE"))
    }

    pub fn etm_config(&self) -> EtmConfig {
        EtmConfig::from_regs(&self.regs, self.dev_type.to_ascii_uppercase().starts_with("ETE"))
    }
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub dir: PathBuf,
    pub devices: Vec<Device>,
    /// In `trace.ini`'s `buffers=` order.
    pub buffers: Vec<TraceBuffer>,
    /// (source device name, buffer name).
    pub source_buffers: Vec<(String, String)>,
    pub image: CodeImage,
}

fn read_text(p: &Path) -> Result<String, SnapshotError> {
    read_bytes(p).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Reads a file the snapshot names. Only regular files: a name such as `/dev/zero` or a FIFO
/// in an `.ini` would otherwise read forever.
fn read_bytes(p: &Path) -> Result<Vec<u8>, SnapshotError> {
    let io = |err| SnapshotError::Io { path: p.to_path_buf(), err };
    if !std::fs::metadata(p).map_err(io)?.is_file() {
        return Err(SnapshotError::Bad(format!("{}: not a regular file", p.display())));
    }
    std::fs::read(p).map_err(io)
}

fn section<'a>(secs: &'a [Section], name: &str) -> Option<&'a Section> {
    secs.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

impl Snapshot {
    pub fn load(dir: impl AsRef<Path>) -> Result<Snapshot, SnapshotError> {
        let dir = dir.as_ref().to_path_buf();
        let top = ini::parse(&read_text(&dir.join("snapshot.ini"))?);
        let list =
            section(&top, "device_list").ok_or_else(|| SnapshotError::Missing("[device_list]".into()))?;
        let mut devices = Vec::new();
        let mut image = CodeImage::new();
        for (_, file) in &list.pairs {
            let secs = ini::parse(&read_text(&dir.join(file))?);
            let dev = section(&secs, "device")
                .ok_or_else(|| SnapshotError::Missing(format!("[device] in {file}")))?;
            let mut regs = HashMap::new();
            if let Some(r) = section(&secs, "regs") {
                for (k, v) in &r.pairs {
                    if let Some(x) = ini::parse_u64(v) {
                        regs.insert(ini::reg_name(k).to_ascii_uppercase(), x);
                    }
                }
            }
            for s in secs.iter().filter(|s| s.name.to_ascii_lowercase().starts_with("dump")) {
                load_dump(&dir, s, &mut image)?;
            }
            devices.push(Device {
                name: dev.get("name").unwrap_or("").to_string(),
                class: dev.get("class").unwrap_or("").to_string(),
                dev_type: dev.get("type").unwrap_or("").to_string(),
                regs,
            });
        }
        let meta = section(&top, "trace")
            .and_then(|s| s.get("metadata"))
            .ok_or_else(|| SnapshotError::Missing("[trace] metadata".into()))?;
        let tsecs = ini::parse(&read_text(&dir.join(meta))?);
        let names = section(&tsecs, "trace_buffers")
            .and_then(|s| s.get("buffers"))
            .ok_or_else(|| SnapshotError::Missing("[trace_buffers] buffers".into()))?;
        let mut buffers = Vec::new();
        for id in names.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let s = section(&tsecs, id).ok_or_else(|| SnapshotError::Missing(format!("[{id}] in {meta}")))?;
            let name = s.get("name").unwrap_or(id).to_string();
            let file = s.get("file").ok_or_else(|| SnapshotError::Missing(format!("file= in [{id}]")))?;
            let format = match s.get("format").unwrap_or("").to_ascii_lowercase().as_str() {
                "coresight" => BufferFormat::Coresight,
                "source_data" => BufferFormat::SourceData,
                other => return Err(SnapshotError::Bad(format!("buffer format `{other}` in [{id}]"))),
            };
            buffers.push(TraceBuffer { name, format, data: read_bytes(&dir.join(file))? });
        }
        let source_buffers: Vec<(String, String)> =
            section(&tsecs, "source_buffers").map(|s| s.pairs.clone()).unwrap_or_default();
        for (src, _) in &source_buffers {
            if let Some(d) = devices.iter().find(|d| &d.name == src && d.is_unsupported_program_trace()) {
                return Err(SnapshotError::UnsupportedProtocol {
                    device: d.name.clone(),
                    protocol: d.dev_type.clone(),
                });
            }
        }
        Ok(Snapshot { dir, devices, buffers, source_buffers, image })
    }

    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.name == name)
    }

    /// The ETM/ETE sources feeding `buffer`, in `trace.ini` order.
    pub fn sources_for(&self, buffer: &str) -> Vec<&Device> {
        self.source_buffers
            .iter()
            .filter(|(_, b)| b == buffer)
            .filter_map(|(s, _)| self.device(s))
            .filter(|d| d.is_etm())
            .collect()
    }
}

fn load_dump(dir: &Path, s: &Section, image: &mut CodeImage) -> Result<(), SnapshotError> {
    let file = s.get("file").ok_or_else(|| SnapshotError::Missing(format!("file= in [{}]", s.name)))?;
    let addr = s
        .get("address")
        .and_then(ini::parse_u64)
        .ok_or_else(|| SnapshotError::Missing(format!("address= in [{}]", s.name)))?;
    let bytes = read_bytes(&dir.join(file))?;
    let off = s.get("offset").and_then(ini::parse_u64).unwrap_or(0);
    let off = usize::try_from(off).unwrap_or(usize::MAX);
    if off > bytes.len() {
        return Err(SnapshotError::Bad(format!("offset beyond {file}")));
    }
    let avail = bytes.len() - off;
    let len = s.get("length").and_then(ini::parse_u64).map(|l| l.min(avail as u64) as usize).unwrap_or(avail);
    if addr.checked_add(len as u64).is_none() {
        return Err(SnapshotError::Bad(format!(
            "address= in [{}]: {file} runs past the address space",
            s.name
        )));
    }
    image.add(addr, bytes[off..off + len].to_vec(), file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot directory of one ETM device with one dump, under the temp dir.
    fn snapshot_with_dump(tag: &str, dump: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tracer-etm-snap-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let w = |f: &str, t: &str| std::fs::write(dir.join(f), t).unwrap();
        w("snapshot.ini", "[device_list]\ndevice0=cpu_0.ini\n[trace]\nmetadata=trace.ini\n");
        w("cpu_0.ini", &format!("[device]\nname=cpu_0\nclass=core\ntype=Cortex-A53\n{dump}"));
        w(
            "trace.ini",
            "[trace_buffers]\nbuffers=buffer0\n[buffer0]\nname=ETB_0\nfile=t.bin\nformat=source_data\n",
        );
        std::fs::write(dir.join("t.bin"), [0u8; 4]).unwrap();
        std::fs::write(dir.join("mem.bin"), [0x1f, 0x20, 0x03, 0xd5, 0, 0, 0, 0]).unwrap();
        dir
    }

    /// A snapshot whose one trace source is of type `ty`, feeding its one buffer.
    fn snapshot_with_source(tag: &str, ty: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tracer-etm-src-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let w = |f: &str, t: &str| std::fs::write(dir.join(f), t).unwrap();
        w(
            "snapshot.ini",
            "[device_list]\ndevice0=cpu_0.ini\ndevice1=src_0.ini\n[trace]\nmetadata=trace.ini\n",
        );
        w("cpu_0.ini", "[device]\nname=cpu_0\nclass=core\ntype=Cortex-A15\n");
        w(
            "src_0.ini",
            &format!("[device]\nname=SRC_0\nclass=trace_source\ntype={ty}\n[regs]\nETMCR=0xc000\n"),
        );
        w(
            "trace.ini",
            "[trace_buffers]\nbuffers=buffer0\n[buffer0]\nname=ETB_0\nfile=t.bin\nformat=coresight\n\
             [source_buffers]\nSRC_0=ETB_0\n",
        );
        std::fs::write(dir.join("t.bin"), [0u8; 16]).unwrap();
        dir
    }

    #[test]
    fn ptm_and_etmv3_sources_are_an_unsupported_protocol() {
        for ty in ["PTM1.1", "ETM3.5", "ETM3", "etmv3.4"] {
            let dir = snapshot_with_source(ty, ty);
            let r = Snapshot::load(&dir);
            std::fs::remove_dir_all(&dir).unwrap();
            match r {
                Err(e @ SnapshotError::UnsupportedProtocol { .. }) => {
                    assert!(e.to_string().contains(ty) && e.to_string().contains("not supported"), "{e}")
                }
                other => panic!("{ty}: {other:?}"),
            }
        }
        for ty in ["ETM4", "ETM4.4", "ETE", "STM"] {
            let dir = snapshot_with_source(&ty.replace('.', "_"), ty);
            let r = Snapshot::load(&dir);
            std::fs::remove_dir_all(&dir).unwrap();
            assert!(r.is_ok(), "{ty}: {r:?}");
        }
    }

    #[test]
    fn malformed_dumps_are_typed_errors() {
        let ok = snapshot_with_dump("ok", "[dump1]\nfile=mem.bin\naddress=0x1000\nlength=0x4\n");
        let snap = Snapshot::load(&ok).unwrap();
        assert_eq!(snap.image.read(0x1000, 4), Some(&[0x1f, 0x20, 0x03, 0xd5][..]));
        std::fs::remove_dir_all(&ok).unwrap();
        for (tag, dump) in [
            ("wrap", "[dump1]\nfile=mem.bin\naddress=0xfffffffffffffffc\n"),
            ("off", "[dump1]\nfile=mem.bin\naddress=0x1000\noffset=0xffffffffffffffff\n"),
            ("noaddr", "[dump1]\nfile=mem.bin\n"),
            // A device (/dev/zero would never end; /dev/null shows the check without the risk).
            ("dev", "[dump1]\nfile=/dev/null\naddress=0x1000\nlength=4\n"),
        ] {
            let dir = snapshot_with_dump(tag, dump);
            let r = Snapshot::load(&dir);
            std::fs::remove_dir_all(&dir).unwrap();
            assert!(matches!(r, Err(SnapshotError::Bad(_) | SnapshotError::Missing(_))), "{tag}: {r:?}");
        }
    }
}

//! Code images for flow reconstruction: raw files at an address and ELF64 files mapped by
//! their loadable segments (a minimal program-header reader; nothing else of ELF is needed).

use std::fmt;
use std::path::Path as FsPath;
use trace_ir::path::CodeImage;

#[derive(Debug)]
pub enum ImageError {
    Io {
        file: String,
        err: std::io::Error,
    },
    NotElf {
        file: String,
    },
    /// An ELF class or byte order we do not read (only ELF64 little-endian is supported).
    Unsupported {
        file: String,
        what: &'static str,
    },
    /// A header or segment points outside the file.
    Truncated {
        file: String,
    },
    NoLoadableSegment {
        file: String,
    },
    /// Code placed at `addr` would run past the top of the address space.
    Wraps {
        file: String,
        addr: u64,
    },
    /// Not a regular file (a device such as /dev/zero reads without end, a FIFO blocks).
    NotRegularFile {
        file: String,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Io { file, err } => write!(f, "{file}: {err}"),
            ImageError::NotElf { file } => write!(f, "{file}: not an ELF file"),
            ImageError::NotRegularFile { file } => write!(f, "{file}: not a regular file"),
            ImageError::Unsupported { file, what } => write!(f, "{file}: unsupported ELF: {what}"),
            ImageError::Truncated { file } => write!(f, "{file}: truncated ELF file"),
            ImageError::NoLoadableSegment { file } => write!(f, "{file}: no loadable segment"),
            ImageError::Wraps { file, addr } => {
                write!(f, "{file}: code at {addr:#x} runs past the end of the address space")
            }
        }
    }
}

impl std::error::Error for ImageError {}

/// A PT_LOAD segment: where its file bytes go, relative to the ELF's own addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub flags: u32,
}

const PT_LOAD: u32 = 1;
/// Far more than any linker emits; each segment becomes a `CodeImage` region.
const MAX_LOAD_SEGMENTS: usize = 1024;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The loadable segments of an ELF64 little-endian file.
pub fn load_segments(bytes: &[u8], file: &str) -> Result<Vec<LoadSegment>, ImageError> {
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err(ImageError::NotElf { file: file.into() });
    }
    let trunc = || ImageError::Truncated { file: file.into() };
    match bytes.get(4) {
        Some(2) => {}
        Some(_) => return Err(ImageError::Unsupported { file: file.into(), what: "not ELF64" }),
        None => return Err(trunc()),
    }
    if bytes.get(5) != Some(&1) {
        return Err(ImageError::Unsupported { file: file.into(), what: "not little-endian" });
    }
    let phoff = u64_at(bytes, 0x20).ok_or_else(trunc)?;
    let phentsize = u16_at(bytes, 0x36).ok_or_else(trunc)? as u64;
    let phnum = u16_at(bytes, 0x38).ok_or_else(trunc)? as u64;
    if phentsize < 56 {
        return Err(trunc());
    }
    let mut segs = Vec::new();
    for i in 0..phnum {
        let at = phoff.checked_add(i * phentsize).ok_or_else(trunc)?;
        let at = usize::try_from(at).map_err(|_| trunc())?;
        let ty = u32_at(bytes, at).ok_or_else(trunc)?;
        if ty != PT_LOAD {
            continue;
        }
        let seg = LoadSegment {
            flags: u32_at(bytes, at + 4).ok_or_else(trunc)?,
            offset: u64_at(bytes, at + 8).ok_or_else(trunc)?,
            vaddr: u64_at(bytes, at + 16).ok_or_else(trunc)?,
            filesz: u64_at(bytes, at + 32).ok_or_else(trunc)?,
        };
        let end = seg.offset.checked_add(seg.filesz).ok_or_else(trunc)?;
        if end > bytes.len() as u64 {
            return Err(trunc());
        }
        segs.push(seg);
    }
    if segs.is_empty() {
        return Err(ImageError::NoLoadableSegment { file: file.into() });
    }
    // Loadable segments share at most a page of the file with each other; many that cover
    // the same bytes would copy the file once per header (and phnum goes up to 65535).
    let total = segs.iter().fold(0u64, |t, s| t.saturating_add(s.filesz));
    let bound = (bytes.len() as u64).saturating_add(4096 * segs.len() as u64);
    if segs.len() > MAX_LOAD_SEGMENTS || total > bound {
        return Err(ImageError::Unsupported { file: file.into(), what: "overlapping loadable segments" });
    }
    Ok(segs)
}

/// Maps the loadable segments of an ELF image so that its lowest segment (page-aligned)
/// lands at `load`: the convention of perf and LLDB's trace bundles. Non-PIE executables
/// are loaded at their own addresses, which gives a zero bias.
pub fn add_elf(image: &mut CodeImage, bytes: &[u8], load: u64, name: &str) -> Result<(), ImageError> {
    let segs = load_segments(bytes, name)?;
    let lowest = segs.iter().map(|s| s.vaddr).min().unwrap_or(0) & !0xfff;
    // Every segment lands at `load + (vaddr - lowest)`; that and its end must not wrap.
    let mut at = Vec::with_capacity(segs.len());
    for s in &segs {
        let addr = load.checked_add(s.vaddr - lowest);
        let addr = addr.ok_or_else(|| ImageError::Wraps { file: name.into(), addr: load })?;
        fits(addr, s.filesz, name)?;
        at.push(addr);
    }
    for (s, addr) in segs.iter().zip(at) {
        let (off, len) = (s.offset as usize, s.filesz as usize);
        image.add(addr, bytes[off..off + len].to_vec(), name);
    }
    Ok(())
}

/// `CodeImage` regions end at `base + len`, which must not wrap (a load address or ELF
/// header from the user could ask for it).
fn fits(base: u64, len: u64, file: &str) -> Result<(), ImageError> {
    match base.checked_add(len) {
        Some(_) => Ok(()),
        None => Err(ImageError::Wraps { file: file.into(), addr: base }),
    }
}

/// Reads a whole regular file: a trace or an image. Anything else is refused before a byte
/// is read (a device such as /dev/zero would read until memory runs out, a FIFO block
/// forever). The file is opened non-blocking, so opening a FIFO does not wait for a writer,
/// and the check is on the opened file, so it cannot be swapped after the check.
pub fn read_regular_file(file: &FsPath) -> Result<Vec<u8>, ImageError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let name = || file.display().to_string();
    let io = |err| ImageError::Io { file: name(), err };
    let mut f =
        std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(file).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ImageError::NotRegularFile { file: name() });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(1 << 26) as usize);
    f.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

fn read(file: &FsPath) -> Result<Vec<u8>, ImageError> {
    read_regular_file(file)
}

/// Adds an ELF file (see `add_elf`).
pub fn add_elf_file(image: &mut CodeImage, file: &FsPath, load: u64) -> Result<(), ImageError> {
    let bytes = read(file)?;
    add_elf(image, &bytes, load, &file.display().to_string())
}

/// Adds a raw file's bytes at `addr`.
pub fn add_raw_file(image: &mut CodeImage, file: &FsPath, addr: u64) -> Result<(), ImageError> {
    let bytes = read(file)?;
    let name = file.display().to_string();
    fits(addr, bytes.len() as u64, &name)?;
    image.add(addr, bytes, name);
    Ok(())
}

/// Adds `len` bytes of this process's own memory at `addr` (JIT code, a Rust function),
/// read through /proc/self/mem so that an unmapped address is an error, not a fault.
pub fn add_process_memory(
    image: &mut CodeImage,
    addr: u64,
    len: usize,
    name: &str,
) -> Result<(), ImageError> {
    use std::os::unix::fs::FileExt;
    fits(addr, len as u64, name)?;
    let io = |err| ImageError::Io { file: format!("/proc/self/mem at {addr:#x}"), err };
    let mem = std::fs::File::open("/proc/self/mem").map_err(io)?;
    let mut bytes = vec![0u8; len];
    mem.read_exact_at(&mut bytes, addr).map_err(io)?;
    image.add(addr, bytes, name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(segs: &[(u64, &[u8])]) -> Vec<u8> {
        let phoff = 64u64;
        let data_at = phoff as usize + 56 * segs.len();
        let mut b = vec![0u8; data_at];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        for (i, (vaddr, data)) in segs.iter().enumerate() {
            let at = phoff as usize + 56 * i;
            let off = b.len() as u64;
            b[at..at + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&off.to_le_bytes());
            b[at + 16..at + 24].copy_from_slice(&vaddr.to_le_bytes());
            b[at + 32..at + 40].copy_from_slice(&(data.len() as u64).to_le_bytes());
            b.extend_from_slice(data);
        }
        b
    }

    #[test]
    fn segments_are_mapped_relative_to_the_lowest_page() {
        let f = elf(&[(0x0, &[1, 2, 3]), (0x2010, &[4, 5])]);
        let mut img = CodeImage::new();
        add_elf(&mut img, &f, 0x7000_0000, "lib").unwrap();
        assert_eq!(img.read(0x7000_0000, 3), Some(&[1u8, 2, 3][..]));
        assert_eq!(img.read(0x7000_2010, 2), Some(&[4u8, 5][..]));
        assert!(img.read(0x7000_0003, 1).is_none());
    }

    #[test]
    fn only_regular_files_are_read() {
        let mut img = CodeImage::new();
        for dev in ["/dev/zero", "/dev/null", "/"] {
            let p = FsPath::new(dev);
            assert!(matches!(read_regular_file(p), Err(ImageError::NotRegularFile { .. })), "{dev}");
            assert!(
                matches!(add_raw_file(&mut img, p, 0x1000), Err(ImageError::NotRegularFile { .. })),
                "{dev}"
            );
            assert!(
                matches!(add_elf_file(&mut img, p, 0x1000), Err(ImageError::NotRegularFile { .. })),
                "{dev}"
            );
        }
        // A FIFO with no writer: refused at once instead of blocking.
        let fifo = std::env::temp_dir().join(format!("tracer-pt-fifo-{}", std::process::id()));
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let r = read_regular_file(&fifo);
        std::fs::remove_file(&fifo).ok();
        assert!(matches!(r, Err(ImageError::NotRegularFile { .. })), "{r:?}");
        assert_eq!(
            read_regular_file(FsPath::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/image.rs")))
                .map(|b| b.is_empty())
                .ok(),
            Some(false)
        );
    }

    #[test]
    fn bad_elf_files_are_typed_errors() {
        assert!(matches!(load_segments(b"hello", "x"), Err(ImageError::NotElf { .. })));
        let mut f = elf(&[(0x400000, &[1, 2, 3])]);
        f.truncate(f.len() - 1);
        assert!(matches!(load_segments(&f, "x"), Err(ImageError::Truncated { .. })));
        assert!(matches!(load_segments(&f[..0x30], "x"), Err(ImageError::Truncated { .. })));
        let mut f = elf(&[]);
        assert!(matches!(load_segments(&f, "x"), Err(ImageError::NoLoadableSegment { .. })));
        f[4] = 1;
        assert!(matches!(load_segments(&f, "x"), Err(ImageError::Unsupported { .. })));
    }

    #[test]
    fn code_that_would_wrap_the_address_space_is_an_error() {
        let f = elf(&[(0x1000, &[1, 2, 3, 4])]);
        let mut img = CodeImage::new();
        let top = u64::MAX - 1;
        assert!(matches!(add_elf(&mut img, &f, top & !0xfff, "x"), Ok(())));
        let r = add_elf(&mut img, &elf(&[(0x0, &[1, 2, 3]), (0x2ffe, &[4, 5, 6])]), top & !0xfff, "y");
        assert!(matches!(r, Err(ImageError::Wraps { addr, .. }) if addr == u64::MAX - 0xfff));
        assert_eq!(img.regions().len(), 1, "nothing of y was added");
        let raw = std::env::temp_dir().join(format!("tracer-pt-wrap-{}", std::process::id()));
        std::fs::write(&raw, [0x90; 8]).unwrap();
        let r = add_raw_file(&mut img, &raw, u64::MAX - 3);
        std::fs::remove_file(&raw).unwrap();
        assert!(matches!(r, Err(ImageError::Wraps { .. })));
        assert!(matches!(add_process_memory(&mut img, u64::MAX, 2, "m"), Err(ImageError::Wraps { .. })));
    }

    #[test]
    fn segment_tables_that_would_copy_the_file_many_times_are_refused() {
        // Every header maps the whole file: phnum copies of it.
        let data = vec![0x90u8; 64 << 10];
        let mut f = elf(&[(0x400000, &data)]);
        let n = 1000u16;
        let ph = f[64..64 + 56].to_vec();
        let mut table = Vec::new();
        for i in 0..n as u64 {
            let mut h = ph.clone();
            h[16..24].copy_from_slice(&(0x400000 + i * 0x20000).to_le_bytes());
            table.extend_from_slice(&h);
        }
        let phoff = f.len() as u64;
        f.extend_from_slice(&table);
        f[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        f[0x38..0x3a].copy_from_slice(&n.to_le_bytes());
        let r = load_segments(&f, "x");
        assert!(matches!(r, Err(ImageError::Unsupported { .. })), "{r:?}");
        // Too many small segments, each its own region.
        let segs: Vec<(u64, &[u8])> = (0..1100u64).map(|i| (0x1000 * i, &[0xc3u8][..])).collect();
        assert!(matches!(load_segments(&elf(&segs), "y"), Err(ImageError::Unsupported { .. })));
        let segs: Vec<(u64, &[u8])> = (0..20u64).map(|i| (0x1000 * i, &[0xc3u8][..])).collect();
        assert_eq!(load_segments(&elf(&segs), "z").unwrap().len(), 20);
    }

    #[test]
    fn process_memory_is_read_and_unmapped_memory_is_an_error() {
        static CODE: [u8; 4] = [0x90, 0x90, 0xc3, 0xcc];
        let mut img = CodeImage::new();
        add_process_memory(&mut img, CODE.as_ptr() as u64, 4, "self").unwrap();
        assert_eq!(img.read(CODE.as_ptr() as u64, 4), Some(&CODE[..]));
        assert!(matches!(add_process_memory(&mut img, 8, 16, "null"), Err(ImageError::Io { .. })));
    }
}

//! CoreSight trace formatter frames: 16-byte frames that interleave several trace IDs.
//!
//! Even bytes are either data (their bit 0 lives in the frame's last byte) or an ID change;
//! odd bytes are always data. Frames of four frame syncs (`ff ff ff 7f` x4) are padding or an
//! ETR barrier and are skipped; a barrier also tells the consumers to resynchronise. In the
//! TPIU mode (`Tpiu`) the stream is not frame-aligned: the deformatter searches for a frame
//! sync and drops half-word syncs (`ff 7f`).

/// How frames are laid out in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameMode {
    /// Frames start at offset 0 every 16 bytes (ETB, ETF, ETR in memory).
    MemAligned,
    /// A port stream: frames follow a full frame sync; half-word syncs may appear between
    /// half-words.
    Tpiu,
}

/// What the deformatter produces, in buffer order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameEvent {
    /// One data byte for `id`, at byte `index` of the buffer.
    Data { id: u8, index: u64, byte: u8 },
    /// An ETR barrier or a lost frame alignment: decoders of every ID must resync.
    Reset { index: u64 },
}

const FSYNC: [u8; 4] = [0xff, 0xff, 0xff, 0x7f];

fn is_barrier(f: &[u8]) -> bool {
    f.chunks(4).all(|c| c == FSYNC)
}

/// A run of data bytes for one ID inside a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub id: u8,
    /// Index of the run's first byte (see `unpack_frame` for the numbering).
    pub index: u64,
    len: u8,
    bytes: [u8; 15],
}

impl Run {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// What [`deformat_runs`] produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEvent<'a> {
    Data { id: u8, index: u64, bytes: &'a [u8] },
    Reset { index: u64 },
}

/// Unpacks one 16-byte frame at buffer offset `base` into at most 8 runs. `cur` is the ID in
/// force when the frame starts and is updated; ID 0 (null), reserved IDs and bytes before any
/// ID are dropped.
///
/// Byte indices follow OpenCSD's convention so packet indices agree with its listings: the
/// data of one ID within a frame is a run whose index is where the run began (the frame
/// start, or the ID byte that switched to it), and the run's bytes are numbered
/// consecutively from there.
pub fn unpack_frame(f: &[u8; 16], base: u64, cur: &mut Option<u8>, runs: &mut Vec<Run>) {
    runs.clear();
    let flags = f[15];
    let mut run = Run { id: cur.unwrap_or(0xff), index: base, len: 0, bytes: [0; 15] };
    let push = |run: &mut Run, b: u8| {
        run.bytes[run.len as usize] = b;
        run.len += 1;
    };
    let close = |run: &Run, runs: &mut Vec<Run>| {
        if run.len > 0 && run.id != 0 && run.id < 0x70 {
            runs.push(*run);
        }
    };
    for k in 0..8 {
        let b = f[2 * k];
        let flag = (flags >> k) & 1;
        let has_odd = k < 7;
        if b & 1 == 1 {
            let new_id = b >> 1;
            let mut odd_done = false;
            if Some(new_id) != *cur {
                if flag == 1 && has_odd {
                    push(&mut run, f[2 * k + 1]);
                    odd_done = true;
                }
                *cur = Some(new_id);
                if run.len > 0 {
                    close(&run, runs);
                    run = Run { id: new_id, index: base + 2 * k as u64, len: 0, bytes: [0; 15] };
                } else {
                    run.id = new_id;
                }
            }
            if has_odd && !odd_done {
                push(&mut run, f[2 * k + 1]);
            }
        } else {
            push(&mut run, b | flag);
            if has_odd {
                push(&mut run, f[2 * k + 1]);
            }
        }
    }
    close(&run, runs);
}

/// Deformats a whole buffer into runs of bytes per ID.
pub fn deformat_runs(buf: &[u8], mode: FrameMode, out: &mut impl FnMut(RunEvent<'_>)) {
    let mut cur = None;
    let mut runs = Vec::with_capacity(8);
    let mut frame = |f: &[u8; 16], base: u64, cur: &mut Option<u8>, out: &mut dyn FnMut(RunEvent<'_>)| {
        unpack_frame(f, base, cur, &mut runs);
        for r in &runs {
            out(RunEvent::Data { id: r.id, index: r.index, bytes: r.bytes() });
        }
    };
    match mode {
        FrameMode::MemAligned => {
            for (n, f) in buf.chunks_exact(16).enumerate() {
                let base = (n * 16) as u64;
                if is_barrier(f) {
                    cur = None;
                    out(RunEvent::Reset { index: base });
                    continue;
                }
                let mut a = [0u8; 16];
                a.copy_from_slice(f);
                frame(&a, base, &mut cur, out);
            }
        }
        FrameMode::Tpiu => {
            // Find the first frame sync; frames follow it.
            let Some(start) = buf.windows(4).position(|w| w == FSYNC) else { return };
            let mut fr = [0u8; 16];
            let mut fill = 0usize;
            let mut frame_base = 0u64;
            let mut i = start;
            while i + 1 < buf.len() {
                let hw = [buf[i], buf[i + 1]];
                if buf[i..].starts_with(&FSYNC) {
                    if fill != 0 {
                        out(RunEvent::Reset { index: i as u64 });
                    }
                    fill = 0;
                    i += 4;
                    continue;
                }
                if hw == [0xff, 0x7f] {
                    i += 2;
                    continue;
                }
                if fill == 0 {
                    frame_base = i as u64;
                }
                fr[fill] = hw[0];
                fr[fill + 1] = hw[1];
                fill += 2;
                i += 2;
                if fill == 16 {
                    frame(&fr, frame_base, &mut cur, out);
                    fill = 0;
                }
            }
        }
    }
}

/// Deformats a whole buffer, one event per data byte.
pub fn deformat(buf: &[u8], mode: FrameMode, out: &mut impl FnMut(FrameEvent)) {
    deformat_runs(buf, mode, &mut |e| match e {
        RunEvent::Data { id, index, bytes } => {
            for (i, &byte) in bytes.iter().enumerate() {
                out(FrameEvent::Data { id, index: index + i as u64, byte });
            }
        }
        RunEvent::Reset { index } => out(FrameEvent::Reset { index }),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(buf: &[u8], mode: FrameMode) -> Vec<FrameEvent> {
        let mut v = Vec::new();
        deformat(buf, mode, &mut |e| v.push(e));
        v
    }

    fn data(v: &[FrameEvent]) -> Vec<(u8, u64, u8)> {
        v.iter()
            .filter_map(|e| match *e {
                FrameEvent::Data { id, index, byte } => Some((id, index, byte)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn id_change_immediate_and_deferred() {
        // byte0: ID 0x10 (0x21), byte1 data for 0x10; byte2 data 0x04 with lsb flag -> 0x05;
        // byte4: ID 0x11 deferred (flag bit 2): byte5 still for 0x10.
        let mut f = [0u8; 16];
        f[0] = 0x21;
        f[1] = 0xaa;
        f[2] = 0x04;
        f[3] = 0xbb;
        f[4] = 0x23;
        f[5] = 0xcc;
        f[6] = 0x10;
        f[7] = 0xdd;
        f[15] = 0b0000_0110;
        let d = data(&collect(&f, FrameMode::MemAligned));
        assert_eq!(d[0], (0x10, 0, 0xaa));
        assert_eq!(d[1], (0x10, 1, 0x05));
        assert_eq!(d[2], (0x10, 2, 0xbb));
        assert_eq!(d[3], (0x10, 3, 0xcc));
        // the new ID's run starts at its ID byte
        assert_eq!(d[4], (0x11, 4, 0x10));
        assert_eq!(d[5], (0x11, 5, 0xdd));
        // byte 14 is data for 0x11 as well; null bytes 8..14 are data 0 for 0x11
        assert_eq!(d.len(), 6 + 7);
    }

    #[test]
    fn etr_barrier_frames_are_skipped_and_reset() {
        let mut buf = Vec::new();
        for _ in 0..4 {
            buf.extend_from_slice(&FSYNC);
        }
        let mut f = [0u8; 16];
        f[0] = 0x21;
        f[1] = 0x42;
        buf.extend_from_slice(&f);
        let ev = collect(&buf, FrameMode::MemAligned);
        assert_eq!(ev[0], FrameEvent::Reset { index: 0 });
        assert_eq!(data(&ev)[0], (0x10, 16, 0x42));
    }

    #[test]
    fn tpiu_mode_syncs_and_drops_halfword_syncs() {
        let mut buf = vec![0x12, 0x34, 0x56]; // junk before sync
        buf.extend_from_slice(&FSYNC);
        buf.extend_from_slice(&[0x21, 0x42]);
        buf.extend_from_slice(&[0xff, 0x7f]); // hsync
        buf.extend_from_slice(&[0x00; 14]);
        let d = data(&collect(&buf, FrameMode::Tpiu));
        assert_eq!(d[0], (0x10, 7, 0x42));
        assert_eq!(d.len(), 1 + 13);
    }
}

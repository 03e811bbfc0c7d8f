//! A few packet writers for hand-made traces in tests.
#![allow(dead_code)]

pub struct W(pub Vec<u8>);

impl W {
    pub fn new() -> W {
        W(Vec::new())
    }
    pub fn psb(mut self) -> W {
        self.0.extend_from_slice(&tracer_pt::packet::PSB);
        self
    }
    pub fn psbend(mut self) -> W {
        self.0.extend_from_slice(&[0x02, 0x23]);
        self
    }
    fn ip(mut self, op: u8, ip: Option<u64>) -> W {
        match ip {
            None => self.0.push(op),
            Some(ip) => {
                self.0.push(op | 6 << 5);
                self.0.extend_from_slice(&ip.to_le_bytes());
            }
        }
        self
    }
    pub fn tip(self, ip: u64) -> W {
        self.ip(0x0d, Some(ip))
    }
    pub fn pge(self, ip: u64) -> W {
        self.ip(0x11, Some(ip))
    }
    pub fn pgd(self, ip: Option<u64>) -> W {
        self.ip(0x01, ip)
    }
    pub fn fup(self, ip: u64) -> W {
        self.ip(0x1d, Some(ip))
    }
    /// TNT bits, oldest first, split into short TNT packets.
    pub fn tnt(mut self, bits: &[bool]) -> W {
        for chunk in bits.chunks(6) {
            let mut b = 1u8; // stop bit
            for &t in chunk {
                b = b << 1 | t as u8;
            }
            self.0.push(b << 1);
        }
        self
    }
    pub fn mode64(mut self) -> W {
        self.0.extend_from_slice(&[0x99, 0x01]);
        self
    }
    pub fn mode32(mut self) -> W {
        self.0.extend_from_slice(&[0x99, 0x02]);
        self
    }
    /// MODE.TSX.
    pub fn tsx(mut self, intx: bool, abrt: bool) -> W {
        self.0.extend_from_slice(&[0x99, 0x20 | (abrt as u8) << 1 | intx as u8]);
        self
    }
    pub fn ovf(mut self) -> W {
        self.0.extend_from_slice(&[0x02, 0xf3]);
        self
    }
    pub fn ptw_ip(mut self, v: u32) -> W {
        self.0.extend_from_slice(&[0x02, 0x92]);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn tsc(mut self, v: u64) -> W {
        self.0.push(0x19);
        self.0.extend_from_slice(&v.to_le_bytes()[..7]);
        self
    }
    pub fn raw(mut self, b: &[u8]) -> W {
        self.0.extend_from_slice(b);
        self
    }
}

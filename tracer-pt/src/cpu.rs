//! CPU identification (family/model/stepping), as the decoder's errata handling and
//! `--cpu F/M/S` use it.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cpu {
    pub family: u16,
    pub model: u8,
    pub stepping: u8,
}

impl Cpu {
    /// Parses `FAMILY/MODEL[/STEPPING]` (decimal, or hex with 0x).
    pub fn parse(s: &str) -> Option<Cpu> {
        let num = |t: &str| -> Option<u64> {
            match t.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => t.parse().ok(),
            }
        };
        let mut it = s.split('/');
        let family = u16::try_from(num(it.next()?)?).ok()?;
        let model = u8::try_from(num(it.next()?)?).ok()?;
        let stepping = match it.next() {
            Some(t) => u8::try_from(num(t)?).ok()?,
            None => 0,
        };
        if it.next().is_some() {
            return None;
        }
        Some(Cpu { family, model, stepping })
    }

    /// The running CPU, from cpuid leaf 1 (x86-64 only), with the vendor string.
    #[cfg(target_arch = "x86_64")]
    pub fn host() -> (Cpu, String) {
        let v = std::arch::x86_64::__cpuid(0);
        let mut vendor = Vec::with_capacity(12);
        for r in [v.ebx, v.edx, v.ecx] {
            vendor.extend_from_slice(&r.to_le_bytes());
        }
        let l1 = std::arch::x86_64::__cpuid(1).eax;
        let base_family = (l1 >> 8) & 0xf;
        let base_model = (l1 >> 4) & 0xf;
        let family = if base_family == 0xf { base_family + ((l1 >> 20) & 0xff) } else { base_family };
        let model = if base_family == 0x6 || base_family == 0xf {
            base_model | (((l1 >> 16) & 0xf) << 4)
        } else {
            base_model
        };
        let cpu = Cpu { family: family as u16, model: model as u8, stepping: (l1 & 0xf) as u8 };
        (cpu, String::from_utf8_lossy(&vendor).into_owned())
    }
}

/// The Intel PT errata of a CPU, with libipt's names and its CPU table (libipt 2.0.5,
/// `pt_cpu_errata`). The decoder works around SKD010; the others are listed so that the
/// table stays complete and checked against libipt's. APL12 is worked around too; APL11
/// (a TIP.PGD right after an OVF) decodes as libipt's workaround does without one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Errata {
    /// BDM70: PSB+ packets may contain unexpected packets.
    pub bdm70: bool,
    /// BDM64: an incorrect Intel PT packet may be recorded after a transactional abort.
    pub bdm64: bool,
    /// SKD007: a buffer overflow may result in incorrect packets.
    pub skd007: bool,
    /// SKD022: a VM entry that clears TraceEn may generate a FUP.
    pub skd022: bool,
    /// SKD010: the FUP after an OVF may be dropped. Worked around: after an OVF without a
    /// FUP, the packets ahead say whether tracing was on, and where it resumed.
    pub skd010: bool,
    /// SKL014: a TIP.PGD may lack its target IP payload.
    pub skl014: bool,
    /// APL12: an OVF may be followed by an unexpected FUP. Worked around: when the packets
    /// after that FUP say tracing is off, it does not resume tracing.
    pub apl12: bool,
    /// APL11: an OVF may be followed by a TIP.PGD.
    pub apl11: bool,
    /// SKL168: CYC packets right before a PSB may be dropped.
    pub skl168: bool,
    /// SKZ84: VMX TSC scaling or offsetting corrupts TMA packets.
    pub skz84: bool,
}

impl Errata {
    /// The errata as libipt's `struct pt_errata` bit-field word (bdm70 in bit 0, in
    /// declaration order).
    pub fn bits(&self) -> u32 {
        [
            self.bdm70,
            self.bdm64,
            self.skd007,
            self.skd022,
            self.skd010,
            self.skl014,
            self.apl12,
            self.apl11,
            self.skl168,
            self.skz84,
        ]
        .iter()
        .enumerate()
        .fold(0, |w, (i, &b)| w | (b as u32) << i)
    }
}

impl Cpu {
    /// The errata of this (Intel) CPU. Only family 6 has any; the stepping does not matter.
    pub fn errata(&self) -> Errata {
        let mut e = Errata::default();
        if self.family != 6 {
            return e;
        }
        match self.model {
            // Broadwell.
            0x3d | 0x47 | 0x4f | 0x56 => {
                e.bdm70 = true;
                e.bdm64 = true;
            }
            // Skylake and Kaby/Coffee/Comet Lake clients.
            0x4e | 0x5e | 0x8e | 0x9e | 0xa5 | 0xa6 => {
                e.bdm70 = true;
                e.skd007 = true;
                e.skd022 = true;
                e.skd010 = true;
                e.skl014 = true;
                e.skl168 = true;
            }
            // Skylake/Cascade Lake/Ice Lake/Sapphire Rapids servers.
            0x55 | 0x6a | 0x6c | 0x8f => {
                e.bdm70 = true;
                e.skd022 = true;
                e.skl014 = true;
                e.skz84 = true;
            }
            // Cannon/Ice/Tiger/Rocket Lake clients.
            0x66 | 0x7d | 0x7e | 0x8c | 0x8d | 0xa7 | 0xa8 => {
                e.bdm70 = true;
                e.skd022 = true;
                e.skl014 = true;
            }
            // Apollo Lake, Denverton.
            0x5c | 0x5f => {
                e.apl12 = true;
                e.apl11 = true;
            }
            // Gemini Lake, Snow Ridge, Elkhart Lake, Jasper Lake.
            0x7a | 0x86 | 0x96 | 0x9c => e.apl11 = true,
            // Alder Lake, Raptor Lake.
            0x97 | 0x9a | 0xbf => {
                e.bdm70 = true;
                e.skd022 = true;
                e.skl014 = true;
                e.apl11 = true;
            }
            _ => {}
        }
        e
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.family, self.model, self.stepping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(Cpu::parse("6/79/1"), Some(Cpu { family: 6, model: 79, stepping: 1 }));
        assert_eq!(Cpu::parse("6/0x55"), Some(Cpu { family: 6, model: 85, stepping: 0 }));
        assert_eq!(Cpu::parse("6"), None);
        assert_eq!(Cpu::parse("6/300/1"), None);
        assert_eq!(Cpu::parse("6/1/2/3"), None);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn host_cpu_reads() {
        let (cpu, vendor) = Cpu::host();
        assert!(cpu.family >= 5, "{cpu}");
        assert_eq!(vendor.len(), 12);
    }
}

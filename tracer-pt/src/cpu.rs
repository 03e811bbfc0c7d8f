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

//! What the decoder needs to know about one trace source, read from its ID and control
//! registers (snapshot `.ini` files or sysfs). Field positions follow the ETMv4/ETE
//! architecture specifications.

use std::collections::HashMap;

/// A trace source's configuration: the ID registers that shape the packet set and the
/// control register that says what was enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtmConfig {
    pub trcconfigr: u32,
    pub trctraceidr: u32,
    pub trcidr0: u32,
    pub trcidr1: u32,
    pub trcidr2: u32,
    pub trcidr8: u32,
    pub trcdevarch: u32,
    /// ETE rather than ETMv4.
    pub ete: bool,
}

impl EtmConfig {
    /// A plain ETMv4.4 A-profile configuration with 64-bit addresses, 32-bit context IDs and
    /// 8-bit VMIDs; tests and the collector start from it.
    pub fn etm4_default(trace_id: u8) -> EtmConfig {
        EtmConfig {
            trcconfigr: 0x1,
            trctraceidr: trace_id as u32,
            trcidr0: 0x0800_0ea1,
            trcidr1: 0x4100_f440,
            trcidr2: 0x2000_0488,
            trcidr8: 0,
            trcdevarch: 0,
            ete: false,
        }
    }

    /// An ETE 1.0 configuration like the ones perf sets up on TRBE systems.
    pub fn ete_default(trace_id: u8) -> EtmConfig {
        EtmConfig {
            trcconfigr: 0x1,
            trctraceidr: trace_id as u32,
            trcidr0: 0x2801_cea1,
            trcidr1: 0x4100_fff0,
            trcidr2: 0xd000_1088,
            trcidr8: 0,
            trcdevarch: 0x4770_5a13,
            ete: true,
        }
    }

    /// Builds the configuration from register name/value pairs; missing registers read as 0.
    pub fn from_regs(regs: &HashMap<String, u64>, ete: bool) -> EtmConfig {
        let r = |n: &str| regs.get(n).copied().unwrap_or(0) as u32;
        EtmConfig {
            trcconfigr: r("TRCCONFIGR"),
            trctraceidr: r("TRCTRACEIDR"),
            trcidr0: r("TRCIDR0"),
            trcidr1: r("TRCIDR1"),
            trcidr2: r("TRCIDR2"),
            trcidr8: r("TRCIDR8"),
            trcdevarch: r("TRCDEVARCH"),
            ete,
        }
    }

    pub fn trace_id(&self) -> u8 {
        (self.trctraceidr & 0x7f) as u8
    }

    pub fn major(&self) -> u8 {
        if self.ete {
            ((self.trcdevarch >> 12) & 0xf) as u8
        } else {
            ((self.trcidr1 >> 8) & 0xf) as u8
        }
    }

    pub fn minor(&self) -> u8 {
        if self.ete {
            ((self.trcdevarch >> 16) & 0xf) as u8
        } else {
            ((self.trcidr1 >> 4) & 0xf) as u8
        }
    }

    /// Version as 0xMm (0x44 for ETMv4.4, 0x51 for ETE 1.1 which is architecture 5.1).
    pub fn full_version(&self) -> u8 {
        (self.major() << 4) | self.minor()
    }

    pub fn is_ete(&self) -> bool {
        self.ete || self.major() >= 5
    }

    pub fn cc_size(&self) -> u32 {
        ((self.trcidr2 >> 25) & 0xf) + 12
    }

    pub fn vmid_bytes(&self) -> usize {
        match (self.trcidr2 >> 10) & 0x1f {
            1 => 1,
            2 => 2,
            4 => 4,
            _ => 0,
        }
    }

    pub fn cid_bytes(&self) -> usize {
        if (self.trcidr2 >> 5) & 0x1f == 4 {
            4
        } else {
            0
        }
    }

    pub fn max_spec_depth(&self) -> u32 {
        self.trcidr8
    }

    /// TRCIDR0.COMMOPT: cycle count packets carry no commit field.
    pub fn commit_opt1(&self) -> bool {
        self.trcidr0 & (1 << 29) != 0 && self.trcidr0 & (1 << 7) != 0
    }

    pub fn has_q_elem(&self) -> bool {
        (self.trcidr0 >> 15) & 0x3 != 0
    }

    pub fn has_ts_marker(&self) -> bool {
        self.trcidr0 & (1 << 23) != 0
    }

    pub fn has_cond_trace(&self) -> bool {
        self.trcidr0 & (1 << 6) != 0
    }

    pub fn cc_enabled(&self) -> bool {
        self.trcconfigr & (1 << 4) != 0
    }

    pub fn cond_enabled(&self) -> bool {
        (self.trcconfigr >> 8) & 0x7 != 0
    }

    pub fn data_trace_enabled(&self) -> bool {
        (self.trcconfigr >> 16) & 0x3 != 0
    }

    pub fn ret_stack_enabled(&self) -> bool {
        self.trcconfigr & (1 << 12) != 0
    }

    /// WFI/WFE are traced as branches (TRCIDR2.WFXMODE, ETMv4.3 and later).
    pub fn wfi_wfe_branch(&self) -> bool {
        self.trcidr2 & (1 << 29) != 0 && self.full_version() >= 0x43
    }
}

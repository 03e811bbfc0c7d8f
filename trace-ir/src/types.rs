//! Value types of the trace IR.

use std::fmt;

/// A value's type. Integers live zero-extended in 64 bits wherever they are stored (slots,
/// registers, spill slots); `f64` lives as its IEEE bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Type {
    I1,
    I8,
    I16,
    I32,
    I64,
    F64,
}

impl Type {
    pub const ALL: [Type; 6] = [Type::I1, Type::I8, Type::I16, Type::I32, Type::I64, Type::F64];
    pub const INTS: [Type; 5] = [Type::I1, Type::I8, Type::I16, Type::I32, Type::I64];

    pub fn bits(self) -> u32 {
        match self {
            Type::I1 => 1,
            Type::I8 => 8,
            Type::I16 => 16,
            Type::I32 => 32,
            Type::I64 | Type::F64 => 64,
        }
    }

    /// Size in memory, for loads and stores (`i1` occupies a byte).
    pub fn bytes(self) -> u32 {
        match self {
            Type::I1 | Type::I8 => 1,
            Type::I16 => 2,
            Type::I32 => 4,
            Type::I64 | Type::F64 => 8,
        }
    }

    pub fn is_int(self) -> bool {
        self != Type::F64
    }

    pub fn is_float(self) -> bool {
        self == Type::F64
    }

    /// The mask that keeps a value of this type in canonical (zero-extended) form.
    pub fn mask(self) -> u64 {
        match self.bits() {
            64 => u64::MAX,
            b => (1u64 << b) - 1,
        }
    }

    /// Sign-extends canonical bits of this integer type to i64.
    pub fn sext(self, bits: u64) -> i64 {
        let b = self.bits();
        if b == 64 {
            bits as i64
        } else {
            ((bits << (64 - b)) as i64) >> (64 - b)
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Type::I1 => "i1",
            Type::I8 => "i8",
            Type::I16 => "i16",
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::F64 => "f64",
        }
    }

    pub fn from_name(s: &str) -> Option<Type> {
        Type::ALL.iter().copied().find(|t| t.name() == s)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_masks_match_widths() {
        for t in Type::ALL {
            assert_eq!(Type::from_name(t.name()), Some(t));
            assert_eq!(t.mask().count_ones(), t.bits());
        }
        assert_eq!(Type::from_name("i7"), None);
        assert_eq!(Type::I8.sext(0xff), -1);
        assert_eq!(Type::I16.sext(0x7fff), 0x7fff);
    }
}

//! The element types of data files: [`Dtype`], every numpy number type (its size, short
//! name, numpy type string, and parsing of either spelling), and [`ByteOrder`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Element types parsum reads: every numpy number type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 64-bit float (`<f8`)
    F64,
    /// 32-bit float (`<f4`)
    F32,
    /// 16-bit float (`<f2`), summed in f64
    F16,
    /// 64-bit signed integer (`<i8`)
    I64,
    /// 32-bit signed integer (`<i4`)
    I32,
    /// 16-bit signed integer (`<i2`)
    I16,
    /// 8-bit signed integer (`|i1`)
    I8,
    /// 64-bit unsigned integer (`<u8`)
    U64,
    /// 32-bit unsigned integer (`<u4`)
    U32,
    /// 16-bit unsigned integer (`<u2`)
    U16,
    /// 8-bit unsigned integer (`|u1`)
    U8,
    /// numpy's bool (`|b1`, one byte, 0 or 1): summed as integers, so the sum counts the
    /// true values
    Bool,
    /// Complex of two 32-bit floats (`<c8`): sum and mean only
    C64,
    /// Complex of two 64-bit floats (`<c16`): sum and mean only
    C128,
}

impl Dtype {
    /// Every type, in a fixed order.
    pub const ALL: [Dtype; 14] = [
        Dtype::F64,
        Dtype::F32,
        Dtype::F16,
        Dtype::I64,
        Dtype::I32,
        Dtype::I16,
        Dtype::I8,
        Dtype::U64,
        Dtype::U32,
        Dtype::U16,
        Dtype::U8,
        Dtype::Bool,
        Dtype::C64,
        Dtype::C128,
    ];

    /// Bytes per element.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::Dtype;
    /// assert_eq!((Dtype::F64.size(), Dtype::C128.size(), Dtype::Bool.size()), (8, 16, 1));
    /// ```
    pub fn size(self) -> usize {
        match self {
            Dtype::C128 => 16,
            Dtype::F64 | Dtype::I64 | Dtype::U64 | Dtype::C64 => 8,
            Dtype::F32 | Dtype::I32 | Dtype::U32 => 4,
            Dtype::F16 | Dtype::I16 | Dtype::U16 => 2,
            Dtype::I8 | Dtype::U8 | Dtype::Bool => 1,
        }
    }

    /// The short name: `f64`, `f32`, `f16`, `i64`, ..., `u8`, `bool`, `c64`, `c128`.
    ///
    /// # Examples
    /// ```
    /// assert_eq!(mpikit::io::Dtype::I16.name(), "i16");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "f64",
            Dtype::F32 => "f32",
            Dtype::F16 => "f16",
            Dtype::I64 => "i64",
            Dtype::I32 => "i32",
            Dtype::I16 => "i16",
            Dtype::I8 => "i8",
            Dtype::U64 => "u64",
            Dtype::U32 => "u32",
            Dtype::U16 => "u16",
            Dtype::U8 => "u8",
            Dtype::Bool => "bool",
            Dtype::C64 => "c64",
            Dtype::C128 => "c128",
        }
    }

    /// Decoded as floating point (real or complex parts), else as exact integers.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::Dtype;
    /// assert!(Dtype::F16.is_float() && !Dtype::U8.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(
            self,
            Dtype::F64 | Dtype::F32 | Dtype::F16 | Dtype::C64 | Dtype::C128
        )
    }

    /// A complex type (two floats per element: the real part, then the imaginary part).
    ///
    /// # Examples
    /// ```
    /// assert!(mpikit::io::Dtype::C64.is_complex());
    /// ```
    pub fn is_complex(self) -> bool {
        matches!(self, Dtype::C64 | Dtype::C128)
    }

    /// numpy's type string, e.g. `<f8`, `>i4`, `|u1`, `|b1`, `<c16`.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::{ByteOrder, Dtype};
    /// assert_eq!(Dtype::F64.descr(ByteOrder::Little), "<f8");
    /// assert_eq!(Dtype::I32.descr(ByteOrder::Big), ">i4");
    /// ```
    pub fn descr(self, order: ByteOrder) -> String {
        let (c, n) = match self {
            Dtype::F64 => ('f', 8),
            Dtype::F32 => ('f', 4),
            Dtype::F16 => ('f', 2),
            Dtype::I64 => ('i', 8),
            Dtype::I32 => ('i', 4),
            Dtype::I16 => ('i', 2),
            Dtype::U64 => ('u', 8),
            Dtype::U32 => ('u', 4),
            Dtype::U16 => ('u', 2),
            Dtype::C64 => ('c', 8),
            Dtype::C128 => ('c', 16),
            Dtype::I8 => return "|i1".into(),
            Dtype::U8 => return "|u1".into(),
            Dtype::Bool => return "|b1".into(),
        };
        let e = if order == ByteOrder::Big { '>' } else { '<' };
        format!("{e}{c}{n}")
    }

    /// Parses a name (`f64`, `i16`, `bool`, `c128`, ...) or a numpy type string (`<f8`,
    /// `>u4`, `u1`, `=i8`, `|b1`, `<c16`).
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::{ByteOrder, Dtype};
    /// assert_eq!(Dtype::parse("<f4")?, (Dtype::F32, ByteOrder::Little));
    /// assert_eq!(Dtype::parse("u16")?.0, Dtype::U16);
    /// assert!(Dtype::parse("f128").is_err());
    /// # Ok::<(), mpikit::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<(Dtype, ByteOrder)> {
        let bad = || {
            Error::input(format!(
                "unsupported dtype {s:?} (parsum reads f64 f32 f16 i64 i32 i16 i8 u64 u32 u16 \
                 u8 bool c64 c128, or numpy type strings such as <f8, >i2, |b1 and <c16)"
            ))
        };
        // Without a byte-order mark, our names win ("u8" is one byte); with one, numpy's
        // meaning wins ("<u8" is numpy's uint64), then a marked name (">u32").
        if let Some(d) = Dtype::ALL.into_iter().find(|d| d.name() == s) {
            return Ok((d, ByteOrder::native()));
        }
        if let Some(found) = s
            .parse::<npyz::TypeStr>()
            .ok()
            .and_then(|ts| Dtype::from_type_str(&ts))
        {
            return Ok(found);
        }
        let (order, bare) = match s.chars().next() {
            Some('>') => (ByteOrder::Big, &s[1..]),
            Some('<') => (ByteOrder::Little, &s[1..]),
            _ => return Err(bad()),
        };
        if bare == "f16" {
            return Err(Error::input(format!(
                "unsupported dtype {s:?}: to numpy that is a 128-bit float; for half \
                 precision give {}f2 (or f16 without a byte-order mark)",
                &s[..1]
            )));
        }
        Dtype::ALL
            .into_iter()
            .find(|d| d.name() == bare)
            .map(|d| (d, order))
            .ok_or_else(bad)
    }

    pub(crate) fn from_type_str(ts: &npyz::TypeStr) -> Option<(Dtype, ByteOrder)> {
        use npyz::TypeChar::*;
        let d = match (ts.type_char(), ts.size_field()) {
            (Float, 8) => Dtype::F64,
            (Float, 4) => Dtype::F32,
            (Float, 2) => Dtype::F16,
            (Int, 8) => Dtype::I64,
            (Int, 4) => Dtype::I32,
            (Int, 2) => Dtype::I16,
            (Int, 1) => Dtype::I8,
            (Uint, 8) => Dtype::U64,
            (Uint, 4) => Dtype::U32,
            (Uint, 2) => Dtype::U16,
            (Uint, 1) => Dtype::U8,
            (Bool, 1) => Dtype::Bool,
            (Complex, 8) => Dtype::C64,
            (Complex, 16) => Dtype::C128,
            _ => return None,
        };
        let order = match ts.endianness() {
            npyz::Endianness::Big => ByteOrder::Big,
            npyz::Endianness::Little => ByteOrder::Little,
            npyz::Endianness::Irrelevant => ByteOrder::native(),
        };
        Some((d, order))
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Byte order of a file's elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ByteOrder {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl ByteOrder {
    /// This machine's order.
    ///
    /// # Examples
    /// ```
    /// use mpikit::io::ByteOrder;
    /// assert_eq!(ByteOrder::native(), if cfg!(target_endian = "big") { ByteOrder::Big } else { ByteOrder::Little });
    /// ```
    pub fn native() -> ByteOrder {
        if cfg!(target_endian = "big") {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_spellings() {
        assert_eq!(
            Dtype::parse("f32").unwrap(),
            (Dtype::F32, ByteOrder::native())
        );
        assert_eq!(Dtype::parse(">i4").unwrap(), (Dtype::I32, ByteOrder::Big));
        assert_eq!(
            Dtype::parse("<u8").unwrap(),
            (Dtype::U64, ByteOrder::Little)
        );
        assert_eq!(Dtype::parse("|u1").unwrap().0, Dtype::U8);
        assert_eq!(Dtype::parse(">u32").unwrap(), (Dtype::U32, ByteOrder::Big));
        assert_eq!(
            Dtype::parse("<f2").unwrap(),
            (Dtype::F16, ByteOrder::Little)
        );
        assert_eq!(Dtype::parse("|b1").unwrap().0, Dtype::Bool);
        assert_eq!(Dtype::parse(">c16").unwrap(), (Dtype::C128, ByteOrder::Big));
        assert_eq!(Dtype::parse("|i1").unwrap().0, Dtype::I8);
        for bad in ["f128", "<f16", "<c32", "<U8", "<M8", "float", ""] {
            assert!(Dtype::parse(bad).is_err(), "{bad}");
        }
        for d in Dtype::ALL {
            assert_eq!(Dtype::parse(&d.descr(ByteOrder::Big)).unwrap().0, d);
        }
    }
}

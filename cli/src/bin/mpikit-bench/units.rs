//! Sizes on the command line and in the tables: bytes with K / M suffixes.

/// A size such as 8, 64K or 4M (KiB, MiB), at least 1.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1 << 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 1 << 20),
        _ => (s, 1),
    };
    num.parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
        .map(|n| n * mult)
        .ok_or_else(|| format!("expected a size such as 8, 64K or 4M, got {s:?}"))
}

/// A size as the tables print it: 64K, 4M, or plain bytes.
pub fn human(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{}M", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{}K", b >> 10),
        b => b.to_string(),
    }
}

//! The records of a zip archive as [`NpzWriter`](crate::io::NpzWriter) writes them
//! (PKWARE's APPNOTE 4.3): a local header before each member, the central directory after
//! the last one, and the end records; zip64 fields and records where a size or an offset
//! reaches 4 GiB (numpy's `np.savez` writes zip64 as needed too).

/// Sizes and offsets from this on need zip64 fields.
pub(crate) const ZIP64_LIMIT: u64 = 0xFFFF_FFFF;

/// The DOS date of 1980-01-01 (zip's epoch): archives written twice are the same bytes.
const DOS_DATE: u16 = (1 << 5) | 1;

/// One member as the directory describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The member's name (`NAME.npy`).
    pub name: String,
    /// Deflated (method 8) rather than stored (method 0).
    pub deflated: bool,
    /// CRC-32 of the member's (inflated) bytes.
    pub crc: u32,
    /// The member's bytes in the archive.
    pub stored_size: u64,
    /// The member's (inflated) bytes.
    pub size: u64,
    /// Where its local header starts.
    pub offset: u64,
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// `v` as a 32-bit field, or the zip64 marker.
fn field32(v: u64, zip64: bool) -> u32 {
    if zip64 {
        u32::MAX
    } else {
        v as u32
    }
}

impl Entry {
    /// Whether its sizes need zip64 fields in the local header (`limit` is [`ZIP64_LIMIT`],
    /// or lower to test the zip64 records on small archives).
    pub(crate) fn local_zip64(&self, limit: u64) -> bool {
        self.size >= limit || self.stored_size >= limit
    }

    /// Whether its directory entry needs zip64 fields.
    fn central_zip64(&self, limit: u64) -> bool {
        self.local_zip64(limit) || self.offset >= limit
    }

    /// Version needed to extract, general purpose flags (bit 11: a UTF-8 name), method.
    fn common(&self, out: &mut Vec<u8>, zip64: bool) {
        put16(out, if zip64 { 45 } else { 20 });
        put16(out, if self.name.is_ascii() { 0 } else { 1 << 11 });
        put16(out, if self.deflated { 8 } else { 0 });
        put16(out, 0);
        put16(out, DOS_DATE);
        put32(out, self.crc);
    }

    /// The local header, written just before the member's bytes.
    pub(crate) fn local_header(&self, limit: u64) -> Vec<u8> {
        let zip64 = self.local_zip64(limit);
        let mut out = Vec::with_capacity(30 + self.name.len() + 20);
        put32(&mut out, 0x0403_4b50);
        self.common(&mut out, zip64);
        put32(&mut out, field32(self.stored_size, zip64));
        put32(&mut out, field32(self.size, zip64));
        put16(&mut out, self.name.len() as u16);
        put16(&mut out, if zip64 { 20 } else { 0 });
        out.extend_from_slice(self.name.as_bytes());
        if zip64 {
            put16(&mut out, 1);
            put16(&mut out, 16);
            put64(&mut out, self.size);
            put64(&mut out, self.stored_size);
        }
        out
    }

    /// Its central directory entry.
    fn central(&self, limit: u64, out: &mut Vec<u8>) {
        let zip64 = self.central_zip64(limit);
        put32(out, 0x0201_4b50);
        put16(out, 45);
        self.common(out, zip64);
        put32(out, field32(self.stored_size, zip64));
        put32(out, field32(self.size, zip64));
        put16(out, self.name.len() as u16);
        put16(out, if zip64 { 28 } else { 0 });
        put16(out, 0); // comment
        put16(out, 0); // disk
        put16(out, 0); // internal attributes
        put32(out, 0); // external attributes
        put32(out, field32(self.offset, zip64));
        out.extend_from_slice(self.name.as_bytes());
        if zip64 {
            // Every field above set to the marker is here, in this order.
            put16(out, 1);
            put16(out, 24);
            put64(out, self.size);
            put64(out, self.stored_size);
            put64(out, self.offset);
        }
    }
}

/// The central directory of `entries` starting at byte `at`, and the end records.
pub(crate) fn directory(entries: &[Entry], at: u64, limit: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        e.central(limit, &mut out);
    }
    let size = out.len() as u64;
    let count = entries.len() as u64;
    let zip64 = at >= limit || size >= limit || count >= 0xFFFF.min(limit);
    if zip64 {
        let record = at + size;
        put32(&mut out, 0x0606_4b50);
        put64(&mut out, 44);
        put16(&mut out, 45);
        put16(&mut out, 45);
        put32(&mut out, 0);
        put32(&mut out, 0);
        put64(&mut out, count);
        put64(&mut out, count);
        put64(&mut out, size);
        put64(&mut out, at);
        put32(&mut out, 0x0706_4b50);
        put32(&mut out, 0);
        put64(&mut out, record);
        put32(&mut out, 1);
    }
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    let n = if zip64 { 0xFFFF } else { count as u16 };
    put16(&mut out, n);
    put16(&mut out, n);
    put32(&mut out, field32(size, zip64));
    put32(&mut out, field32(at, zip64));
    put16(&mut out, 0); // comment
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(limit: u64) -> Vec<u8> {
        let data = b"hello npz";
        let mut e = Entry {
            name: "a.npy".into(),
            deflated: false,
            crc: crc32fast::hash(data),
            stored_size: data.len() as u64,
            size: data.len() as u64,
            offset: 0,
        };
        let mut out = e.local_header(limit);
        out.extend_from_slice(data);
        let at = out.len() as u64;
        e.offset = 0;
        out.extend(directory(&[e], at, limit));
        out
    }

    #[test]
    fn the_zip_crate_reads_them_with_and_without_zip64() {
        use std::io::Read;
        for limit in [ZIP64_LIMIT, 0] {
            let bytes = archive(limit);
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            assert_eq!(zip.len(), 1);
            let mut text = String::new();
            zip.by_name("a.npy")
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            assert_eq!(text, "hello npz", "limit {limit}");
        }
    }
}

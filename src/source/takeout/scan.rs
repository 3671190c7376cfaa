//! The fast path for the bulk of an export: the classic JSON series files
//! (`[{"dateTime" : "04/08/26 04:00:01", "value" : {"bpm" : 86, "confidence" : 3}}, …]`, or a
//! string value such as `"13"`), read record by record without building a document, and the
//! stamps of both encodings.
//!
//! Heart rate alone is about 67 M records for a 12-year account, so a general JSON parser's
//! per-record cost matters here; everything else of an export is small and goes through
//! `serde_json`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// One record of a series file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// The stamp as written (UTC or local wall-clock, depending on the family).
    pub at: NaiveDateTime,
    /// `value`, or `value.bpm`.
    pub value: f64,
}

/// A record that could not be read: its 1-based line in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bad {
    /// Line of the record's start.
    pub line: usize,
}

/// The records of a classic JSON file (an array of objects) as byte slices, in file order.
pub struct Records<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Line number at `line_pos` (counted forward only when asked).
    line: usize,
    line_pos: usize,
    done: bool,
}

/// Why a whole JSON file cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    /// Not a JSON array.
    NotArray,
    /// It ends inside a record (truncated).
    Truncated { line: usize },
}

impl<'a> Records<'a> {
    /// Records of `buf`. An empty file or one reading `no data` has none.
    ///
    /// Errors: the content is not a JSON array.
    pub fn new(buf: &'a [u8]) -> Result<Records<'a>, FileError> {
        let start = skip_ws(buf, 0);
        let rest = buf[start..].trim_ascii_end();
        let done = rest.is_empty() || rest.eq_ignore_ascii_case(b"no data");
        if !done && rest.first() != Some(&b'[') {
            return Err(FileError::NotArray);
        }
        Ok(Records {
            buf,
            pos: start + 1,
            line: 1,
            line_pos: 0,
            done,
        })
    }

    /// The 1-based line of byte `pos`, which must not be before the last one asked for.
    pub fn line_at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.buf.len());
        if pos >= self.line_pos {
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.line_pos..pos]).count();
            self.line_pos = pos;
        }
        self.line
    }

    /// The end of the object starting at `start` (`{`): the index after its `}`.
    fn object_end(&self, start: usize) -> Option<usize> {
        let b = self.buf;
        let mut depth = 0usize;
        let mut i = start;
        while i < b.len() {
            let at = i + memchr::memchr3(b'{', b'}', b'"', &b[i..])?;
            match b[at] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at + 1);
                    }
                }
                _ => {
                    // A string: find its closing quote, past escaped ones.
                    let mut j = at + 1;
                    loop {
                        let q = j + memchr::memchr2(b'"', b'\\', &b[j..])?;
                        if b[q] == b'\\' {
                            j = q + 2;
                            if j > b.len() {
                                return None;
                            }
                        } else {
                            j = q;
                            break;
                        }
                    }
                    i = j + 1;
                    continue;
                }
            }
            i = at + 1;
        }
        None
    }
}

impl<'a> Iterator for Records<'a> {
    /// A record's first byte and its bytes (one byte when the element is not an object).
    type Item = Result<(usize, &'a [u8]), FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let b = self.buf;
        let mut i = skip_ws(b, self.pos);
        if b.get(i) == Some(&b',') {
            i = skip_ws(b, i + 1);
        }
        match b.get(i) {
            Some(b']') => {
                self.done = true;
                None
            }
            Some(b'{') => match self.object_end(i) {
                Some(end) => {
                    self.pos = end;
                    Some(Ok((i, &b[i..end])))
                }
                None => {
                    self.done = true;
                    let line = self.line_at(i);
                    Some(Err(FileError::Truncated { line }))
                }
            },
            None => {
                self.done = true;
                let line = self.line_at(i);
                Some(Err(FileError::Truncated { line }))
            }
            Some(_) => {
                // Not an object: skip past it.
                let end = i + b[i..]
                    .iter()
                    .position(|c| matches!(c, b',' | b']'))
                    .unwrap_or(b.len() - i)
                    .max(1);
                self.pos = end;
                Some(Ok((i, &b[i..end])))
            }
        }
    }
}

/// The records of a classic JSON series file, in file order: a point, or the line of a record
/// that cannot be read; an error ends the file.
pub struct Series<'a> {
    records: Records<'a>,
    /// The last date read, as its 8 bytes (`MM/DD/YY`): consecutive records share it.
    date: Option<([u8; 8], NaiveDate)>,
}

impl<'a> Series<'a> {
    /// Records of `buf`.
    ///
    /// Errors: the content is not a JSON array.
    pub fn new(buf: &'a [u8]) -> Result<Series<'a>, FileError> {
        Ok(Series {
            records: Records::new(buf)?,
            date: None,
        })
    }

    /// The record at `i` when it has exactly the export's shape
    /// (`{"dateTime" : "…", "value" : "N"}` or `… "value" : {"bpm" : N, "confidence" : C}}`),
    /// read in one pass; `None` sends it to the general path.
    fn fast(&mut self, i: usize) -> Option<(usize, Point)> {
        let b = self.records.buf;
        let mut j = skip_ws(b, i + 1);
        j = expect(b, j, b"\"dateTime\"")?;
        j = expect(b, skip_ws(b, j), b":")?;
        j = expect(b, skip_ws(b, j), b"\"")?;
        let stamp = b.get(j..j + 17)?;
        j = expect(b, j + 17, b"\"")?;
        j = expect(b, skip_ws(b, j), b",")?;
        j = expect(b, skip_ws(b, j), b"\"value\"")?;
        j = expect(b, skip_ws(b, j), b":")?;
        j = skip_ws(b, j);
        let value;
        if b.get(j) == Some(&b'{') {
            j = expect(b, skip_ws(b, j + 1), b"\"bpm\"")?;
            j = expect(b, skip_ws(b, j), b":")?;
            let (v, k) = digits(b, skip_ws(b, j))?;
            value = v;
            j = skip_ws(b, k);
            if b.get(j) == Some(&b',') {
                j = expect(b, skip_ws(b, j + 1), b"\"confidence\"")?;
                j = expect(b, skip_ws(b, j), b":")?;
                j = digits(b, skip_ws(b, j))?.1;
            }
            j = expect(b, skip_ws(b, j), b"}")?;
        } else {
            j = expect(b, j, b"\"")?;
            let (v, k) = decimal(b, j)?;
            value = v;
            j = expect(b, k, b"\"")?;
        }
        j = expect(b, skip_ws(b, j), b"}")?;
        let date = match self.date {
            Some((key, d)) if key == stamp[..8] => d,
            _ => {
                let d = classic_stamp(stamp)?.date();
                self.date = Some((stamp[..8].try_into().ok()?, d));
                d
            }
        };
        if stamp[8] != b' ' || stamp[11] != b':' || stamp[14] != b':' {
            return None;
        }
        let t = NaiveTime::from_hms_opt(two(stamp, 9)?, two(stamp, 12)?, two(stamp, 15)?)?;
        Some((
            j,
            Point {
                at: date.and_time(t),
                value,
            },
        ))
    }
}

/// The index after `lit` when `b` has it at `i`.
fn expect(b: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    // A byte loop: these literals are short, and a call to memcmp costs more than they do.
    let s = b.get(i..i + lit.len())?;
    s.iter()
        .zip(lit)
        .all(|(x, y)| x == y)
        .then_some(i + lit.len())
}

/// An unsigned integer at `i`, and the index after it.
fn digits(b: &[u8], i: usize) -> Option<(f64, usize)> {
    let mut v: u64 = 0;
    let mut j = i;
    while let Some(c) = b.get(j).filter(|c| c.is_ascii_digit()) {
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
        j += 1;
    }
    (j > i && j - i < 16).then_some((v as f64, j))
}

/// An unsigned decimal (`13`, `0.96`) at `i`, and the index after it.
fn decimal(b: &[u8], i: usize) -> Option<(f64, usize)> {
    let (int, j) = digits(b, i)?;
    if b.get(j) != Some(&b'.') {
        return Some((int, j));
    }
    let end = j + 1 + b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    // Fractions go through the standard parser, for the exact nearest double.
    let v = std::str::from_utf8(&b[i..end]).ok()?.parse().ok()?;
    Some((v, end))
}

impl Iterator for Series<'_> {
    type Item = Result<Result<Point, Bad>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = &mut self.records;
        if !r.done {
            let mut i = skip_ws(r.buf, r.pos);
            if r.buf.get(i) == Some(&b',') {
                i = skip_ws(r.buf, i + 1);
            }
            if r.buf.get(i) == Some(&b'{')
                && let Some((end, p)) = self.fast(i)
            {
                self.records.pos = end;
                return Some(Ok(Ok(p)));
            }
        }
        Some(match self.records.next()? {
            Ok((start, rec)) => Ok(record(rec).ok_or_else(|| Bad {
                line: self.records.line_at(start),
            })),
            Err(e) => Err(e),
        })
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The string value after `"key"` and a colon in `rec`, and the index after it.
fn after_key<'a>(rec: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = memchr::memmem::find(rec, key)?;
    let mut i = skip_ws(rec, at + key.len());
    if rec.get(i) != Some(&b':') {
        return None;
    }
    i = skip_ws(rec, i + 1);
    Some(&rec[i..])
}

/// A JSON number or numeric string at the start of `v`.
fn number(v: &[u8]) -> Option<f64> {
    let (v, quoted) = match v.first()? {
        b'"' => (&v[1..], true),
        _ => (v, false),
    };
    let len = v
        .iter()
        .position(|c| !(c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')))
        .unwrap_or(v.len());
    if len == 0 || (quoted && v.get(len) != Some(&b'"')) {
        return None;
    }
    std::str::from_utf8(&v[..len]).ok()?.parse().ok()
}

fn record(rec: &[u8]) -> Option<Point> {
    let t = after_key(rec, b"\"dateTime\"")?;
    if t.first() != Some(&b'"') || t.get(18) != Some(&b'"') {
        return None;
    }
    let at = classic_stamp(&t[1..18])?;
    let v = after_key(rec, b"\"value\"")?;
    let value = if v.first() == Some(&b'{') {
        number(after_key(v, b"\"bpm\"")?)?
    } else {
        number(v)?
    };
    Some(Point { at, value })
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    let (a, c) = (b.get(i)?, b.get(i + 1)?);
    (a.is_ascii_digit() && c.is_ascii_digit()).then(|| ((a - b'0') * 10 + (c - b'0')) as u32)
}

/// `MM/DD/YY HH:MM:SS` (two-digit year, 20YY).
pub fn classic_stamp(s: &[u8]) -> Option<NaiveDateTime> {
    if s.len() != 17 || s[2] != b'/' || s[5] != b'/' || s[8] != b' ' || s[11] != b':' {
        return None;
    }
    let d = NaiveDate::from_ymd_opt(2000 + two(s, 6)? as i32, two(s, 0)?, two(s, 3)?)?;
    let t = NaiveTime::from_hms_opt(two(s, 9)?, two(s, 12)?, two(s, 15)?)?;
    Some(d.and_time(t))
}

/// `MM/DD/YY` alone (the `date` of a resting-heart-rate record).
pub fn classic_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    NaiveDate::from_ymd_opt(2000 + two(b, 6)? as i32, two(b, 0)?, two(b, 3)?)
}

/// The stamp of the CSV files: `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff…]]`, optionally `Z`
/// (also ` HH:MM:SS+0000`). Returns the wall-clock (or UTC) date-time and whether it was
/// marked UTC.
pub fn iso_stamp(s: &str) -> Option<(NaiveDateTime, bool)> {
    let b = s.trim().as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = two(b, 0)? * 100 + two(b, 2)?;
    let d = NaiveDate::from_ymd_opt(year as i32, two(b, 5)?, two(b, 8)?)?;
    if b.len() == 10 {
        return Some((d.and_time(NaiveTime::MIN), false));
    }
    if !matches!(b[10], b'T' | b' ') || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, m) = (two(b, 11)?, two(b, 14)?);
    let mut i = 16;
    let mut sec = 0;
    if b.get(i) == Some(&b':') {
        sec = two(b, 17)?;
        i = 19;
    }
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000_000;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += (c - b'0') as u32 * scale;
            scale /= 10;
            i += 1;
        }
    }
    let utc = match &b[i..] {
        b"" => false,
        b"Z" | b"+0000" | b"+00:00" => true,
        _ => return None,
    };
    let t = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    Some((d.and_time(t), utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(s: &str) -> Vec<Result<Point, Bad>> {
        Series::new(s.as_bytes())
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn heart_rate_and_string_values() {
        let s = "[{\n  \"dateTime\" : \"04/08/26 04:00:01\",\n  \"value\" : {\n    \"bpm\" : 86,\n    \"confidence\" : 3\n  }\n},{\n  \"dateTime\" : \"04/08/26 04:00:03\",\n  \"value\" : \"0.96\"\n}]";
        let p = points(s);
        assert_eq!(p.len(), 2);
        let a = p[0].unwrap();
        assert_eq!(a.at.to_string(), "2026-04-08 04:00:01");
        assert_eq!(a.value, 86.0);
        assert_eq!(p[1].unwrap().value, 0.96);
        // Compact JSON too.
        let p = points(r#"[{"dateTime":"12/31/07 23:59:59","value":{"confidence":0,"bpm":61}}]"#);
        assert_eq!(p[0].unwrap().value, 61.0);
        assert_eq!(p[0].unwrap().at.to_string(), "2007-12-31 23:59:59");
    }

    #[test]
    fn bad_records_name_their_line_and_the_rest_goes_on() {
        let s = "[{\n \"dateTime\" : \"04/08/26 04:00:01\", \"value\" : \"1\"\n},{\n \"dateTime\" : \"13/45/26 99:00:00\", \"value\" : \"2\"\n},{\n \"dateTime\" : \"04/08/26 04:00:03\", \"value\" : {\"bpm\" : \"x\"}\n},{\n \"dateTime\" : \"04/08/26 04:00:04\", \"value\" : \"4\"\n}]";
        let p = points(s);
        assert_eq!(p[1], Err(Bad { line: 3 }));
        assert_eq!(p[2], Err(Bad { line: 5 }));
        assert_eq!(p[3].unwrap().value, 4.0);
    }

    #[test]
    fn empty_no_data_truncated_and_not_an_array() {
        assert!(points("").is_empty());
        assert!(points("[]").is_empty());
        assert!(points("no data\n").is_empty());
        assert_eq!(Series::new(b"{\"a\":1}").err(), Some(FileError::NotArray));
        let t: Vec<_> = Series::new(
            b"[{\"dateTime\" : \"04/08/26 04:00:01\", \"value\" : \"1\"},\n{\"dateTime\" : \"04/0",
        )
        .unwrap()
        .collect();
        assert!(t[0].as_ref().unwrap().is_ok());
        assert_eq!(t[1], Err(FileError::Truncated { line: 2 }));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn every_prefix_and_every_byte_flip_of_a_file_reads_without_panicking() {
        let file = "[{\n  \"dateTime\" : \"04/08/26 04:00:01\",\n  \"value\" : {\n    \"bpm\" : 86,\n    \"confidence\" : 3\n  }\n},{\n  \"dateTime\" : \"04/08/26 04:00:03\",\n  \"value\" : \"0.96\\\"x\"\n},{\"dateTime\":\"04/08/26 04:00:\"}]";
        let b = file.as_bytes();
        let drain = |buf: &[u8]| {
            if let Ok(s) = Series::new(buf) {
                for _ in s {}
            }
            if let Ok(r) = Records::new(buf) {
                for _ in r {}
            }
        };
        for n in 0..=b.len() {
            drain(&b[..n]);
        }
        for i in 0..b.len() {
            for c in [b'"', b'\\', b'{', b'}', b',', b']', b'0', b' '] {
                let mut m = b.to_vec();
                m[i] = c;
                drain(&m);
            }
        }
    }

    #[test]
    fn iso_stamps() {
        let (t, utc) = iso_stamp("2026-04-08T03:55:01Z").unwrap();
        assert_eq!((t.to_string().as_str(), utc), ("2026-04-08 03:55:01", true));
        assert!(iso_stamp("2026-04-08T03:55:01.000000Z").unwrap().1);
        assert_eq!(
            iso_stamp("2026-04-13").unwrap(),
            (
                NaiveDate::from_ymd_opt(2026, 4, 13)
                    .unwrap()
                    .and_time(NaiveTime::MIN),
                false
            )
        );
        assert_eq!(
            iso_stamp("2026-04-09T02:00").unwrap().0.to_string(),
            "2026-04-09 02:00:00"
        );
        assert!(iso_stamp("2026-04-12 05:45:30+0000").unwrap().1);
        assert_eq!(iso_stamp("2026-13-01"), None);
        assert_eq!(iso_stamp("garbage"), None);
        assert_eq!(
            classic_date("04/08/26"),
            NaiveDate::from_ymd_opt(2026, 4, 8)
        );
    }
}

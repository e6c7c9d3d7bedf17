//! Go `encoding/json` output where bytes matter: string escaping (AS-ID-2), float re-encoding
//! (AS-GEN-6) and the compact AppDefinition bytes hashed into the session id (AS-ID-1).

use std::fmt::Write;

/// Appends `s` as a JSON string the way Go ≥ 1.22 writes it: HTML characters and U+2028/U+2029
/// escaped, `\b` and `\f` short forms, other controls as lower-case `\u00xx`. serde_json does
/// none of the HTML escaping, hence this writer (AS-ID-2).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Addresses and names usually need no escape at all: copy them whole.
    let plain = |b: &u8| *b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xe2);
    if s.as_bytes().iter().all(plain) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `float64` JSON encoding: shortest round-trip digits, `'f'` format unless the magnitude
/// is below 1e-6 or at least 1e21, then `'e'` with a two-digit minimum positive exponent and the
/// `e-07` → `e-7` clean-up (AS-GEN-6). Integer fields fail on the `'e'` forms (WIRE-13).
pub fn float_text(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s
            .split_once('e')
            .expect("LowerExp always writes an exponent");
        let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
        if exp < 0 {
            format!("{mantissa}e-{}", -exp)
        } else {
            format!("{mantissa}e+{exp:02}")
        }
    } else {
        format!("{f}")
    }
}

/// The parsed definition fields, in the order Go's struct writes them (AS-ID-2).
pub struct DefinitionBytes<'a> {
    pub application: &'a str,
    pub protocol: &'a str,
    pub participants: &'a [String],
    pub weights: &'a [i64],
    pub quorum: u64,
    pub challenge: u64,
    pub nonce: u64,
}

impl DefinitionBytes<'_> {
    /// `{"application":…,"protocol":…,"participants":[…],"weights":[…],"quorum":…,"challenge":…,"nonce":…}`
    /// with every key present. A nil participants or weights slice is written `null`, which
    /// only an all-absent definition reaches: the count checks reject it first (AS-DEF-3).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"application\":");
        write_string(&mut out, self.application);
        out.push_str(",\"protocol\":");
        write_string(&mut out, self.protocol);
        out.push_str(",\"participants\":[");
        for (i, p) in self.participants.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&mut out, p);
        }
        out.push_str("],\"weights\":[");
        // `itoa` rather than `write!`: this runs for every create (AS-ID-1).
        let mut digits = itoa::Buffer::new();
        for (i, w) in self.weights.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(digits.format(*w));
        }
        for (key, n) in [
            ("],\"quorum\":", self.quorum),
            (",\"challenge\":", self.challenge),
            (",\"nonce\":", self.nonce),
        ] {
            out.push_str(key);
            out.push_str(digits.format(n));
        }
        out.push('}');
        out
    }

    /// `"0x" + hex(keccak256(B))` (AS-ID-1); AS-ID-4's worked examples are its known answers.
    pub fn session_id(&self) -> String {
        let hash = alloy_primitives::keccak256(self.encode().as_bytes());
        let mut id = [0u8; 66];
        id[..2].copy_from_slice(b"0x");
        hex::encode_to_slice(hash, &mut id[2..]).expect("64 hex digits fit");
        String::from_utf8(id.to_vec()).expect("ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const B: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    #[test]
    fn as_id_2_string_escaping() {
        let mut s = String::new();
        write_string(
            &mut s,
            "a\"b\\c\u{8}\u{c}\n\r\t\u{1}<>&\u{2028}\u{2029}/\u{7f}é",
        );
        assert_eq!(
            s,
            "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\\u2028\\u2029/\u{7f}é\""
        );
        let mut s = String::new();
        write_string(&mut s, "\u{1f}");
        assert_eq!(s, "\"\\u001f\"");
    }

    #[test]
    fn as_gen_6_go_float_text() {
        assert_eq!(float_text(1e21), "1e+21");
        assert_eq!(float_text(1e20), "100000000000000000000");
        assert_eq!(float_text(1e-7), "1e-7");
        assert_eq!(float_text(1.5e-7), "1.5e-7");
        assert_eq!(float_text(1e-6), "0.000001");
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(2.0), "2");
        assert_eq!(float_text(-0.0), "-0");
        assert_eq!(float_text(1e300), "1e+300");
        assert_eq!(float_text(9007199254740993u64 as f64), "9007199254740992");
        assert_eq!(float_text(123456789012345678901.0), "123456789012345680000");
    }

    fn parts(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn as_id_4_worked_examples() {
        let p = parts(&[A, B]);
        let d = DefinitionBytes {
            application: "chess",
            protocol: "NitroRPC/0.4",
            participants: &p,
            weights: &[50, 50],
            quorum: 100,
            challenge: 86400,
            nonce: 1,
        };
        assert_eq!(
            d.encode(),
            format!("{{\"application\":\"chess\",\"protocol\":\"NitroRPC/0.4\",\"participants\":[\"{A}\",\"{B}\"],\"weights\":[50,50],\"quorum\":100,\"challenge\":86400,\"nonce\":1}}")
        );
        assert_eq!(
            d.session_id(),
            "0x4b1e7acde82b2f2b1f2f0d8747f9ccecfe54843aff583beaaf14f0d3ef5d603d"
        );
        let d = DefinitionBytes {
            application: "",
            protocol: "NitroRPC/0.2",
            participants: &p,
            weights: &[1, 1],
            quorum: 2,
            challenge: 0,
            nonce: 42,
        };
        assert_eq!(
            d.session_id(),
            "0x06b558fccaaca56e30fa686e0511b5299f2a52a7039a8c6e0b06104f64b351ca"
        );
        let sdk = parts(&[
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF",
        ]);
        let d = DefinitionBytes {
            application: "conformance-app",
            protocol: "NitroRPC/0.4",
            participants: &sdk,
            weights: &[50, 50],
            quorum: 100,
            challenge: 0,
            nonce: 1_700_000_000_000,
        };
        assert_eq!(
            d.session_id(),
            "0x94fd7e40b7632bf94e0bbef3918e3e552ad7814d5a4974506e5ab04d1b9c89bd"
        );
    }

    #[test]
    fn as_id_1_keccak_not_sha3() {
        assert_eq!(
            hex::encode(alloy_primitives::keccak256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
    }
}

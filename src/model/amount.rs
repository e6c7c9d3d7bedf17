//! Decimal amounts as Clearnode reads, stores and prints them (AS-AMT-1 to AS-AMT-5).
//!
//! Parsing follows shopspring/decimal v1.4.0 `NewFromString` (the grammar and its error texts are
//! facts the auth path repeats to clients), storage follows Postgres `DECIMAL(64,18)`, and printing
//! follows `Decimal.String()`.

use bigdecimal::{BigDecimal, RoundingMode};
use num_bigint::BigInt;
use std::str::FromStr;

/// Exact decimal used everywhere in the model. AS-AMT-2: in memory, amounts are exact and
/// unbounded (rounding happens only at storage, AS-AMT-4); sums are exact, so the model never
/// shows the float aggregates of a SQLite broker (AS-AMT-6: the reference's own test database,
/// which nitrocert does not reproduce).
pub type Dec = BigDecimal;

/// Decimal exponents beyond this are outside the model's range. Clearnode itself would try to
/// build a power of ten with billions of digits for them (and stall), so no vector should use
/// them; the model answers `Unmodelled` instead of stalling too.
pub const MAX_MODEL_EXPONENT: i64 = 4096;

/// Why a decimal text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalError {
    /// shopspring's error text, as `auth_verify` quotes it (AUTH-7 step 9).
    Invalid(String),
    /// Valid for Clearnode, but beyond [`MAX_MODEL_EXPONENT`].
    OutOfModelRange,
}

enum GoIntError {
    Syntax,
    Range,
}

/// Go `strconv.ParseInt(s, 10, bits)`: optional sign, ASCII digits, no underscores.
fn go_parse_int(s: &str, bits: u32) -> Result<i64, GoIntError> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(digits)?;
    let limit = 1u64 << (bits - 1);
    if neg {
        if magnitude > limit {
            return Err(GoIntError::Range);
        }
        Ok((magnitude as i128).wrapping_neg() as i64)
    } else {
        if magnitude >= limit {
            return Err(GoIntError::Range);
        }
        Ok(magnitude as i64)
    }
}

/// Go `strconv.ParseUint(s, 10, 64)`: overflow is reported as soon as it happens, before later
/// bytes are looked at, which is why `99999999999999999999x` is a range error.
fn go_parse_uint(s: &str) -> Result<u64, GoIntError> {
    if s.is_empty() {
        return Err(GoIntError::Syntax);
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(GoIntError::Syntax);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(GoIntError::Range)?;
    }
    Ok(n)
}

/// Go `strconv.ParseUint` for a JSON integer field; `None` on any failure.
pub fn go_uint(s: &str) -> Option<u64> {
    go_parse_uint(s).ok()
}

/// Go `strconv.ParseInt(s, 10, 64)` for a JSON integer field.
pub fn go_int64(s: &str) -> Option<i64> {
    go_parse_int(s, 64).ok()
}

/// shopspring `NewFromString` (AS-AMT-1): optional sign, digits with at most one `.`, optional
/// int32 exponent. Odd corners are kept on purpose, e.g. `.-5` is -0.05 because the digits after
/// the dot are handed to `ParseInt` together with whatever sign they carry.
pub fn parse_decimal(original: &str) -> Result<Dec, DecimalError> {
    let mut value = original;
    let mut exp: i64 = 0;
    if let Some(e) = value.find(['e', 'E']) {
        match go_parse_int(&value[e + 1..], 32) {
            Ok(x) => exp = x,
            Err(GoIntError::Range) => {
                return Err(DecimalError::Invalid(format!(
                    "can't convert {original} to decimal: fractional part too long"
                )))
            }
            Err(GoIntError::Syntax) => {
                return Err(DecimalError::Invalid(format!(
                    "can't convert {original} to decimal: exponent is not numeric"
                )))
            }
        }
        value = &value[..e];
    }
    let mut dot = None;
    for (i, b) in value.bytes().enumerate() {
        if b == b'.' {
            if dot.is_some() {
                return Err(DecimalError::Invalid(format!(
                    "can't convert {value} to decimal: too many .s"
                )));
            }
            dot = Some(i);
        }
    }
    // The digits without the dot, on the stack for the usual short amounts.
    let mut buf = [0u8; 40];
    let int_string: std::borrow::Cow<str> = match dot {
        None => value.into(),
        Some(p) if value.len() <= buf.len() => {
            exp -= (value.len() - p - 1) as i64;
            let n = value.len() - 1;
            buf[..p].copy_from_slice(&value.as_bytes()[..p]);
            buf[p..n].copy_from_slice(&value.as_bytes()[p + 1..]);
            // Removing an ASCII byte from UTF-8 leaves UTF-8.
            std::str::from_utf8(&buf[..n]).expect("UTF-8").into()
        }
        Some(p) => {
            exp -= (value.len() - p - 1) as i64;
            format!("{}{}", &value[..p], &value[p + 1..]).into()
        }
    };
    let invalid = || DecimalError::Invalid(format!("can't convert {value} to decimal"));
    let digits = if int_string.len() <= 18 {
        Digits::Small(go_parse_int(&int_string, 64).map_err(|_| invalid())?)
    } else {
        // big.Int.SetString(s, 10): optional sign, then digits only.
        let body = int_string.trim_start_matches(['+', '-']);
        let signs = int_string.len() - body.len();
        if signs > 1 || body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        Digits::Big(BigInt::from_str(&int_string).map_err(|_| invalid())?)
    };
    if exp < i64::from(i32::MIN) || exp > i64::from(i32::MAX) {
        return Err(DecimalError::Invalid(format!(
            "can't convert {original} to decimal: fractional part too long"
        )));
    }
    match digits {
        Digits::Big(big) => checked(BigDecimal::new(big, -exp)),
        Digits::Small(small) => checked_small(small, -exp),
    }
}

/// The digits of a decimal text: up to 18 characters fit an `i64` (ParseInt), longer ones are
/// big integers (SetString).
enum Digits {
    Small(i64),
    Big(BigInt),
}

/// [`checked`] for digits that fit an `i64` (the usual amount): normalised before the one
/// big-integer allocation.
fn checked_small(mut digits: i64, mut scale: i64) -> Result<Dec, DecimalError> {
    if digits == 0 {
        return Ok(Dec::from(0));
    }
    while digits % 10 == 0 {
        digits /= 10;
        scale -= 1;
    }
    if scale.abs() > MAX_MODEL_EXPONENT {
        return Err(DecimalError::OutOfModelRange);
    }
    Ok(BigDecimal::new(BigInt::from(digits), scale))
}

/// Normalises a parsed value and keeps it inside the model's exponent range.
fn checked(d: Dec) -> Result<Dec, DecimalError> {
    if d.sign() == num_bigint::Sign::NoSign {
        return Ok(Dec::from(0));
    }
    let d = normalized(&d);
    if d.fractional_digit_count().abs() > MAX_MODEL_EXPONENT {
        return Err(DecimalError::OutOfModelRange);
    }
    Ok(d)
}

/// The digits without trailing zeros and the scale that goes with them, for values whose
/// digits fit an `i128` (every amount a harness sends); `None` for larger ones.
fn stripped(d: &Dec) -> Option<(i128, i64)> {
    let (digits, mut scale) = d.as_bigint_and_scale();
    let mut n = i128::try_from(&*digits).ok()?;
    if n == 0 {
        return Some((0, 0));
    }
    while n % 10 == 0 {
        n /= 10;
        scale -= 1;
    }
    Some((n, scale))
}

/// `BigDecimal::normalized` (trailing zeros moved into the scale, zero as `0`), without its
/// round trip through a vector of decimal digits when the digits fit an `i128`. Same digits,
/// same scale.
pub fn normalized(d: &Dec) -> Dec {
    match stripped(d) {
        Some((n, scale)) => BigDecimal::new(BigInt::from(n), scale),
        None => d.normalized(),
    }
}

/// Postgres `DECIMAL(64,18)` write: round half away from zero to 18 places (AS-AMT-4).
pub fn round_for_storage(d: &Dec) -> Dec {
    if d.fractional_digit_count() <= 18 {
        return d.clone();
    }
    d.with_scale_round(18, RoundingMode::HalfUp)
}

/// A stored magnitude of 10^46 or more does not fit `DECIMAL(64,18)` (AS-AMT-4, Q-16).
pub fn overflows_storage(stored: &Dec) -> bool {
    let (digits, scale) = stored.as_bigint_and_scale();
    if digits.sign() == num_bigint::Sign::NoSign {
        return false;
    }
    // 2^152 < 10^46: small values need no digit count (this runs on every ledger write).
    if scale >= 0 && digits.bits() <= 152 {
        return false;
    }
    // number of integer digits = decimal digits of |digits| - scale
    let n = match u128::try_from(digits.magnitude()) {
        Ok(m) => i64::from(m.ilog10()) + 1,
        Err(_) => digits.magnitude().to_string().len() as i64,
    };
    n - scale > 46
}

/// Number of fractional digits of the exact value (0 for integers).
pub fn fraction_digits(d: &Dec) -> i64 {
    if d.sign() == num_bigint::Sign::NoSign {
        return 0;
    }
    let scale = match stripped(d) {
        Some((_, scale)) => scale,
        None => d.normalized().fractional_digit_count(),
    };
    scale.max(0)
}

/// shopspring `Decimal.String()` (AS-AMT-5): fixed point, no exponent, no trailing zeros.
pub fn render(d: &Dec) -> String {
    let (digits, scale) = d.as_bigint_and_scale();
    if digits.sign() == num_bigint::Sign::NoSign {
        return "0".to_string();
    }
    let neg = digits.sign() == num_bigint::Sign::Minus;
    let mut s = digits.magnitude().to_string();
    let mut out = String::with_capacity(s.len() + 4);
    if neg {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(&s);
        out.extend(std::iter::repeat_n('0', (-scale) as usize));
        return out;
    }
    let scale = scale as usize;
    if s.len() <= scale {
        let pad = scale + 1 - s.len();
        s.insert_str(0, &"0".repeat(pad));
    }
    let (int, frac) = s.split_at(s.len() - scale);
    let frac = frac.trim_end_matches('0');
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Parses a decimal that the model itself controls (tests, hooks); panics on bad input.
pub fn dec(s: &str) -> Dec {
    parse_decimal(s).unwrap_or_else(|e| panic!("bad decimal literal {s:?}: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        render(&parse_decimal(s).unwrap())
    }
    fn err(s: &str) -> DecimalError {
        parse_decimal(s).unwrap_err()
    }

    #[test]
    fn as_amt_1_accepted_string_forms() {
        assert_eq!(ok("1e3"), "1000");
        assert_eq!(ok(".5"), "0.5");
        assert_eq!(ok("5."), "5");
        assert_eq!(ok("+5"), "5");
        assert_eq!(ok("-0"), "0");
        assert_eq!(ok("-0.0"), "0");
        assert_eq!(ok("007.10"), "7.1");
        assert_eq!(ok("1E-2"), "0.01");
        assert_eq!(ok("1e+2"), "100");
        assert_eq!(ok(".-5"), "-0.05");
        assert_eq!(
            ok("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
        assert_eq!(
            ok("0.000000000000000000000000000001"),
            "0.000000000000000000000000000001"
        );
    }

    #[test]
    fn as_amt_1_rejected_string_forms() {
        for s in [
            "",
            " 1",
            "1 ",
            "1_0",
            "0x10",
            "NaN",
            "Infinity",
            "1.2.3",
            "1e",
            ".",
            "e5",
            "-",
            "+-1",
            "1e99999999999",
        ] {
            assert!(matches!(err(s), DecimalError::Invalid(_)), "{s}");
        }
        assert_eq!(
            err("1.2.3"),
            DecimalError::Invalid("can't convert 1.2.3 to decimal: too many .s".into())
        );
        assert_eq!(
            err("abc"),
            DecimalError::Invalid("can't convert abc to decimal".into())
        );
        assert_eq!(
            err("1ex"),
            DecimalError::Invalid("can't convert 1ex to decimal: exponent is not numeric".into())
        );
        assert_eq!(
            err("1e3000000000"),
            DecimalError::Invalid(
                "can't convert 1e3000000000 to decimal: fractional part too long".into()
            )
        );
        assert_eq!(err("1e5000"), DecimalError::OutOfModelRange);
    }

    #[test]
    fn as_amt_4_rounding_and_overflow() {
        assert_eq!(
            render(&round_for_storage(&dec("0.0000000000000000005"))),
            "0.000000000000000001"
        );
        assert_eq!(
            render(&round_for_storage(&dec("-0.0000000000000000005"))),
            "-0.000000000000000001"
        );
        assert_eq!(
            render(&round_for_storage(&dec("0.0000000000000000004"))),
            "0"
        );
        assert!(!overflows_storage(&dec(
            "9999999999999999999999999999999999999999999999"
        )));
        assert!(overflows_storage(&dec("1e46")));
        assert!(overflows_storage(&round_for_storage(&dec(
            "9999999999999999999999999999999999999999999999.9999999999999999999"
        ))));
        assert!(overflows_storage(&dec("-1e46")));
        // Normalised integers carry a negative scale: counted without printing them.
        assert!(!overflows_storage(&dec("9e45")));
        assert!(!overflows_storage(&dec("-1.5e45")));
        assert!(overflows_storage(&dec("10e45")));
    }

    /// The fast paths (i64 digits normalised before allocating, i128 stripping) give the same
    /// digits and scale as bigdecimal's own `normalized` and as the big-integer path.
    #[test]
    fn as_amt_1_fast_paths_keep_the_representation() {
        for text in [
            "0",
            "10",
            "-100",
            "1.500",
            "0.000",
            "7e3",
            "-2.50e-3",
            "123456789012345678",
            "123456789012345678901234567890",
            "1000000000000000000000000000000000000000000",
        ] {
            let plain = BigDecimal::from_str(text).expect("decimal");
            let ours = normalized(&plain);
            let theirs = plain.normalized();
            assert_eq!(
                ours.as_bigint_and_exponent(),
                theirs.as_bigint_and_exponent(),
                "{text}"
            );
        }
        // Up to 18 characters take the i64 path, longer ones the big-integer path.
        for (short, long) in [
            ("1000", "1000.0000000000000000000"),
            ("-0.0500", "-0.05000000000000000000000"),
            ("0.0", "0.0000000000000000000000"),
        ] {
            let (a, b) = (parse_decimal(short).unwrap(), parse_decimal(long).unwrap());
            assert_eq!(a.as_bigint_and_exponent(), b.as_bigint_and_exponent());
        }
        assert_eq!(
            parse_decimal("1e4097").unwrap_err(),
            DecimalError::OutOfModelRange
        );
        assert_eq!(
            parse_decimal("10e4096").unwrap_err(),
            DecimalError::OutOfModelRange
        );
        assert!(parse_decimal("1e4096").is_ok());
    }

    #[test]
    fn as_amt_5_rendering() {
        assert_eq!(ok("100.50"), "100.5");
        assert_eq!(ok("-50.00"), "-50");
        assert_eq!(ok("0"), "0");
        assert_eq!(ok("1e21"), "1000000000000000000000");
        assert_eq!(ok("-0.001"), "-0.001");
    }
}

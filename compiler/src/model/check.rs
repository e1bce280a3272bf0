//! Local value checks used by lowering: names, quantities, cron schedules, dates, digests.
//!
//! Each check returns `None` when the value is fine, or a short reason (a label text) when
//! it is not; the caller turns that into a spanned diagnostic.

use std::str::FromStr;

/// Why `name` is not an RFC 1123 DNS label, if it is not one.
pub(crate) fn dns_label(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_owned());
    }
    let length = name.chars().count();
    if length > 63 {
        return Some(format!("{length} characters, more than 63"));
    }
    if let Some(upper) = name.chars().find(char::is_ascii_uppercase) {
        return Some(format!("contains uppercase `{upper}`"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(format!("contains {}", describe_char(bad)));
    }
    if name.starts_with('-') {
        return Some("starts with `-`".to_owned());
    }
    if name.ends_with('-') {
        return Some("ends with `-`".to_owned());
    }
    None
}

/// Whether `name` is an RFC 1123 DNS label.
pub(crate) fn is_dns_label(name: &str) -> bool {
    dns_label(name).is_none()
}

/// Whether `name` is a conventional environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `key` is a Kubernetes label or annotation key: an optional DNS-subdomain
/// prefix and `/`, then a name of at most 63 characters (letters, digits, `-`, `_`, `.`,
/// starting and ending with a letter or digit).
pub(crate) fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let name_ok = name.len() <= 63 && is_label_value(name);
    let prefix_ok = prefix.is_none_or(|prefix| prefix.len() <= 253 && prefix.split('.').all(is_dns_label));
    name_ok && prefix_ok
}

/// Whether `value` may be a label value: empty, or at most 63 characters of letters,
/// digits, `-`, `_` and `.`, starting and ending with a letter or digit.
pub(crate) fn is_any_label_value(value: &str) -> bool {
    value.is_empty() || (value.len() <= 63 && is_label_value(value))
}

/// Whether `name` is an HTTP header name (an RFC 9110 token).
pub(crate) fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// Why `name` is not an IANA service name (a Kubernetes port name), if it is not one.
pub(crate) fn port_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_owned());
    }
    let length = name.chars().count();
    if length > 15 {
        return Some(format!("{length} characters, more than 15"));
    }
    if let Some(upper) = name.chars().find(char::is_ascii_uppercase) {
        return Some(format!("contains uppercase `{upper}`"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Some(format!("contains {}", describe_char(bad)));
    }
    if !name.chars().any(|c| c.is_ascii_lowercase()) {
        return Some("has no letter".to_owned());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("starts or ends with `-`".to_owned());
    }
    if name.contains("--") {
        return Some("contains `--`".to_owned());
    }
    None
}

fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else if c == ' ' {
        "a space".to_owned()
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

/// The largest quantity accepted, in base units (cores or bytes): about 8 EiB, what
/// Kubernetes can hold in an int64 of bytes.
pub(crate) const MAX_QUANTITY: f64 = 9.0e18;

/// The value of a quantity in base units (cores or bytes), when it is one.
pub(crate) fn quantity_value(value: &str) -> Option<f64> {
    if !is_quantity_syntax(value) {
        return None;
    }
    let number_len = value.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let (number, suffix) = value.split_at(number_len);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exponent => {
            let exponent: i32 = exponent.get(1..)?.parse().ok()?;
            10f64.powi(exponent)
        }
    };
    Some(number * factor)
}

/// Whether `value` is a Kubernetes resource quantity (`250m`, `1`, `0.5`, `512Mi`, `1G`,
/// `1e3`), non-negative and at most [`MAX_QUANTITY`].
pub(crate) fn is_quantity(value: &str) -> bool {
    quantity_value(value).is_some_and(|v| v.is_finite() && v <= MAX_QUANTITY)
}

fn is_quantity_syntax(value: &str) -> bool {
    let number_len = value.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let (number, suffix) = value.split_at(number_len);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    let dots = number.bytes().filter(|b| *b == b'.').count();
    if digits == 0 || dots > 1 {
        return false;
    }
    const SUFFIXES: [&str; 16] = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    // Decimal exponent: e3, E-2, e+6.
    let Some(exponent) = suffix.strip_prefix(['e', 'E']) else { return false };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    !exponent.is_empty() && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a memory quantity uses a sub-byte suffix (`512m` means 0.512 bytes).
pub(crate) fn is_fractional_bytes(value: &str) -> bool {
    value.ends_with(['m', 'u', 'n'])
}

/// Why `schedule` is not a Kubernetes CronJob schedule, if it is not one.
pub(crate) fn cron_schedule(schedule: &str) -> Option<String> {
    let schedule = schedule.trim();
    if let Some(name) = schedule.strip_prefix('@') {
        return match name {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => None,
            _ => Some(format!("unknown macro `@{name}`")),
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!("{} fields, expected 5", fields.len()));
    }
    let mut shifted: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    if let Some(day_of_week) = shifted.get_mut(4) {
        *day_of_week = shift_day_of_week(day_of_week);
    }
    // The `cron` crate wants a seconds field and counts weekdays 1-7 from Sunday.
    match cron::Schedule::from_str(&format!("0 {}", shifted.join(" "))) {
        Ok(_) => None,
        // The crate's message repeats the expression with a caret; keep its last line.
        Err(error) => {
            let message = error.to_string();
            let last = message.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("invalid expression");
            Some(lowercase_first(last.trim().trim_end_matches('.')))
        }
    }
}

/// Map standard cron weekdays (0-6, Sunday = 0) to the `cron` crate's (1-7, Sunday = 1).
fn shift_day_of_week(field: &str) -> String {
    let shift = |part: &str| -> String {
        match part.parse::<u32>() {
            Ok(day) if day <= 6 => (day + 1).to_string(),
            Ok(_) => "99".to_owned(), // out of range either way; let the crate report it
            Err(_) => part.to_owned(),
        }
    };
    field
        .split(',')
        .map(|item| {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (item, None),
            };
            let range = match range.split_once('-') {
                Some((from, to)) => format!("{}-{}", shift(from), shift(to)),
                None => shift(range),
            };
            match step {
                Some(step) => format!("{range}/{step}"),
                None => range,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why `date` is not a `YYYY-MM-DD` calendar date, if it is not one.
pub(crate) fn date(date: &str) -> Option<String> {
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else { return Some("not in the form YYYY-MM-DD".to_owned()) };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return Some("not in the form YYYY-MM-DD".to_owned());
    }
    let (Ok(year), Ok(month), Ok(day)) = (year.parse::<u32>(), month.parse::<u32>(), day.parse::<u32>()) else {
        return Some("not in the form YYYY-MM-DD".to_owned());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Some(format!("there is no month {month}")),
    };
    if day == 0 || day > days {
        return Some(format!("month {month} of {year} has no day {day}"));
    }
    None
}

/// Whether `digest` is `sha256:` followed by 64 lowercase hex digits.
pub(crate) fn is_digest(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Whether `tag` is a valid image tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
pub(crate) fn is_image_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// Whether `value` is a Kubernetes label value: empty is not accepted here (a team or name
/// must say something), at most 63 characters is not required (long values are fitted).
pub(crate) fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    !value.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether `name` is an RFC 1123 DNS subdomain (a StorageClass or IngressClass name, a
/// label key's prefix): dot-separated DNS labels, at most 253 characters.
pub(crate) fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// Whether `name` (without tag or digest) is an image repository reference: ASCII letters,
/// digits, `.`, `_`, `-`, `/` and a registry `:port`, no empty path component.
pub(crate) fn is_image_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| !part.is_empty())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':'))
}

/// Whether `text` is a SemVer 2 version (`1.4.0`, `2.0.0-rc.1+build.5`), as Helm requires of
/// a chart's `version`.
pub fn is_semver(text: &str) -> bool {
    let (rest, build) = match text.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (text, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numeric = |part: &str| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) && (part == "0" || !part.starts_with('0'))
    };
    let identifiers = |text: &str| {
        text.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| numeric(part))
        && pre.is_none_or(identifiers)
        && build.is_none_or(identifiers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for good in ["250m", "1", "0.5", "512Mi", "1G", "1e3", "8", "16Gi", ".5"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["lots", "", "-1", "1.2.3", "1Gb", "Mi", "1 Gi", "e3"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn schedules() {
        for good in ["0 3 * * *", "*/5 * * * *", "0 0 * * 0", "0 9 * * 1-5", "@daily", "@midnight", "0 0 1 1 *"] {
            assert_eq!(cron_schedule(good), None, "{good}");
        }
        for bad in ["nightly", "0 3 * *", "61 * * * *", "0 0 * * 7", "@sometimes", "0 0 0 0 0 0"] {
            assert!(cron_schedule(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(dns_label("order-api"), None);
        assert!(dns_label("Payments").is_some());
        assert!(dns_label("-api").is_some());
        assert!(dns_label(&"a".repeat(64)).is_some());
        assert_eq!(port_name("http"), None);
        assert!(port_name("8080").is_some());
        assert!(port_name("a-very-long-port-name").is_some());
    }

    #[test]
    fn dates() {
        assert_eq!(date("2027-03-31"), None);
        assert_eq!(date("2028-02-29"), None);
        assert!(date("2027-02-29").is_some());
        assert!(date("2027-13-01").is_some());
        assert!(date("next year").is_some());
    }

    #[test]
    fn semver() {
        for good in ["0.1.0", "1.4.0", "10.20.30", "1.0.0-rc.1", "1.0.0+build.5", "1.0.0-a-b.0+x"] {
            assert!(super::is_semver(good), "{good}");
        }
        for bad in ["1.4", "01.0.0", "1.0.0-", "1.0.0+", "v1.0.0", "1.0.0-a..b", "1.0.0 ", ""] {
            assert!(!super::is_semver(bad), "{bad}");
        }
    }
}

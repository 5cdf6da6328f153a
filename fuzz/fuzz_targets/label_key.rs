//! Label key validation and `KEY=VALUE` / label-file reading: never panics; a key that passes the
//! style rules is writable; an accepted `KEY=VALUE` gives back the argument; errors are one line.
#![no_main]
use ds01_build::labels::{
    check_writable_key, key_rule_violations, parse_key_value, parse_label_file, parse_label_lines,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let violations = key_rule_violations(data);
    let writable = check_writable_key(data);
    if violations.is_empty() {
        assert!(
            writable.is_ok(),
            "{data:?} follows the style rules but is not writable"
        );
    }
    if let Err(e) = &writable {
        assert!(!e.to_string().contains('\n'));
    }
    match parse_key_value(data) {
        Ok((key, value)) => {
            assert_eq!(format!("{key}={value}"), data);
            assert!(check_writable_key(&key).is_ok());
        }
        Err(e) => assert!(!e.contains('\n'), "{e}"),
    }
    for line in parse_label_lines(data) {
        assert!(!line.key.contains('='));
        assert!(!line.key.starts_with(char::is_whitespace));
        assert!(!line.key.starts_with('#'));
    }
    if let Err(e) = parse_label_file(data) {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
});

//! A Kubernetes object as YAML text (the header line is [`crate::output::file`]'s).
//!
//! In: an object (a JSON value). Out: its YAML text. The YAML is
//! block style with keys in the order the typed object serialised them, LF line ends and
//! a final newline. Strings a YAML 1.1 reader (Kubernetes, PyYAML) would take as a
//! boolean, null, number or timestamp (`yes`, `on`, `~`, `0755`, `1e3`, `12:30`) are
//! quoted, because serde-saphyr's YAML 1.1 compatibility checks are on (`yaml_12: false`).

use serde_saphyr::SerializerOptions;

/// The YAML text of one object, without header.
pub fn document(object: &serde_json::Value) -> String {
    let mut options = SerializerOptions::default();
    options.indent_step = 2;
    options.compact_list_indent = true;
    // Keep YAML 1.1 quoting: Kubernetes reads manifests as YAML 1.1.
    options.yaml_12 = false;
    // Long single-line strings stay on one line (greppable, diffable); multi-line
    // strings become literal blocks.
    options.prefer_block_scalars = true;
    options.folded_wrap_chars = usize::MAX;
    options.min_fold_chars = usize::MAX;
    options.quote_all = false;
    match serde_saphyr::to_string_with_options(object, options) {
        Ok(text) => text.replace("\r\n", "\n"),
        // A JSON value always serialises; keep the file well-formed if it ever did not.
        Err(error) => format!("# serialisation failed: {}\n", error.to_string().replace(['\n', '\r'], " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::document;
    use serde_json::json;

    #[test]
    fn ambiguous_strings_are_quoted() {
        let values = [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "Y",
            "N",
            "true",
            "False",
            "~",
            "null",
            "Null",
            "0755",
            "1e3",
            ".5",
            "0x1F",
            "12:30",
            "1_000",
            "2024-01-01",
            "1.10",
            "+1",
            ".inf",
            "-.Inf",
            ".NaN",
            "",
            " lead",
            "a: b",
            "#x",
            "- x",
            "*alias",
            "&anchor",
            "!tag",
            "{x}",
            "[x]",
            "@x",
            "`x",
            "%x",
            "multi\nline",
        ];
        let data: serde_json::Map<String, serde_json::Value> =
            values.iter().enumerate().map(|(index, value)| (format!("k{index:02}"), json!(value))).collect();
        let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": data});
        let text = document(&config_map);
        for (index, value) in values.iter().enumerate() {
            let line =
                text.lines().find(|line| line.trim_start().starts_with(&format!("k{index:02}:"))).unwrap_or_default();
            let scalar = line.split_once(':').map(|(_, rest)| rest.trim()).unwrap_or_default();
            if value.contains('\n') {
                continue;
            }
            assert!(scalar.starts_with('"') || scalar.starts_with('\''), "`{value}` is not quoted: {line}\n{text}");
        }
        // Round trip through a YAML reader: every value is still the same string.
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap_or_default();
        assert_eq!(back, config_map, "{text}");
    }

    #[test]
    fn plain_strings_stay_plain_and_keys_keep_order() {
        let object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
            "data": {"b": "info", "a": "/api/orders", "c": "hello world"}});
        let text = document(&object);
        assert_eq!(
            text,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  b: info\n  a: /api/orders\n  c: hello world\n"
        );
    }

    #[test]
    fn long_lines_stay_on_one_line_and_multi_line_is_literal() {
        let long = "word ".repeat(30).trim_end().to_owned();
        let text = document(&json!({"data": {"long": long, "multi": "a\nb\n"}}));
        assert!(text.contains(&format!("long: {long}\n")), "{text}");
        assert!(text.contains("multi: |\n    a\n    b\n"), "{text}");
    }
}

//! The standard library already lowered: `compiler/stdlib-lowered.jsonl`, one line per
//! stdlib file, made by the compiler itself and committed, so that no run parses the
//! stdlib's KDL (90 % of a small spec's check).
//!
//! Line 1 is the front-end key the file was made with (`build.rs` fingerprints the stdlib
//! text and the source of `diag.rs`, `syntax/` and `model/`); line `i + 2` is the lowered
//! [`Spec`] of [`FILES`]`[i]` as JSON, parsed with file id `i` (the id the driver gives
//! it), or `null` for a file that does not lower without diagnostics. When the key is not
//! this build's, the file is stale and not used: the driver parses the stdlib as before,
//! so a stale file costs time, never a wrong result. The test `lowered_stdlib_is_fresh`
//! fails on a stale file; `BERTH_BLESS_STDLIB=1 cargo test -p berth --lib
//! lowered_stdlib_is_fresh` writes it again.

use super::FILES;
use crate::diag::{Diagnostics, FileId, SourceFile, Sources};
use crate::model::Spec;

/// The committed file.
const LOWERED: &str = include_str!("../../stdlib-lowered.jsonl");

/// This build's front-end key.
const KEY: &str = env!("BERTH_FRONT_END_KEY");

/// The lowered spec of `FILES[index]`, when the committed file is this build's and holds
/// one; `None` sends the driver to the parser.
pub fn spec(index: usize) -> Option<Spec> {
    let mut lines = LOWERED.lines();
    if lines.next()? != KEY {
        return None;
    }
    serde_json::from_str::<Option<Spec>>(lines.nth(index)?).ok().flatten()
}

/// The text of `stdlib-lowered.jsonl` for this build, from [`lower_all`].
pub fn generate() -> String {
    let mut out = format!("{KEY}\n");
    for spec in lower_all() {
        out.push_str(&serde_json::to_string(&spec).unwrap_or_else(|_| "null".to_owned()));
        out.push('\n');
    }
    out
}

/// Every stdlib file parsed and lowered with the real front end, its id its index;
/// `None` for a file with diagnostics.
pub fn lower_all() -> Vec<Option<Spec>> {
    let mut sources = Sources::default();
    let ids: Vec<FileId> = FILES
        .iter()
        .map(|(name, text)| sources.add(SourceFile { name: (*name).to_owned(), text: (*text).to_owned() }))
        .collect();
    ids.into_iter()
        .map(|id| {
            let mut diags = Diagnostics::default();
            sources
                .get(id)
                .and_then(|source| crate::syntax::parse(&mut diags, id, source))
                .map(|parsed| crate::model::lower(&mut diags, &parsed))
                .filter(|_| diags.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::FILES;

    /// The committed file is this build's, and each line reads back as the spec the front
    /// end lowers (compared by their `Debug` text, which shows every field).
    #[test]
    fn lowered_stdlib_is_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib-lowered.jsonl");
        let generated = super::generate();
        if std::env::var_os("BERTH_BLESS_STDLIB").is_some() {
            std::fs::write(&path, &generated).expect("writes compiler/stdlib-lowered.jsonl");
            return;
        }
        assert!(
            generated == super::LOWERED,
            "compiler/stdlib-lowered.jsonl is stale (the stdlib or the front end changed): run \
             `BERTH_BLESS_STDLIB=1 cargo test -p berth --lib lowered_stdlib_is_fresh` and commit it"
        );
        for (index, ((path, _), lowered)) in FILES.iter().zip(super::lower_all()).enumerate() {
            let cached = super::spec(index);
            assert_eq!(format!("{cached:?}"), format!("{lowered:?}"), "{path}");
            assert!(cached.is_some(), "{path} is not in the lowered stdlib");
        }
    }
}

//! What the library offers an editor: the cloud profiles and backing-service kinds of the
//! standard library and the user library folders, where each is defined, and the kinds'
//! descriptions and properties.

use super::scan::{Item, scan};
use crate::diag::SourceFile;
use crate::stdlib;
use std::ops::Range;
use std::path::PathBuf;

/// A library definition: a `cloud` or `backing-kind` node.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The profile or kind name.
    pub name: String,
    /// The file: a stdlib pseudo-path (`<stdlib/kinds/postgres.kdl>`) or a real path.
    pub file: String,
    /// The name's bytes in the file.
    pub range: Range<usize>,
    /// A kind's `description`.
    pub description: Option<String>,
    /// A kind's property names.
    pub properties: Vec<String>,
}

/// The library's profiles and kinds (later files win, as in the driver).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub clouds: Vec<Definition>,
    pub kinds: Vec<Definition>,
    /// The text of every file, by name (to show a stdlib file).
    pub texts: Vec<(String, String)>,
}

impl Catalogue {
    /// The stdlib and `libraries`.
    pub fn new(libraries: &[SourceFile]) -> Self {
        let mut catalogue = Self::default();
        let files = stdlib::FILES
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .chain(libraries.iter().map(|f| (f.name.clone(), f.text.clone())));
        for (name, text) in files {
            catalogue.add(&name, &text);
            catalogue.texts.push((name, text));
        }
        catalogue
    }

    fn add(&mut self, file: &str, text: &str) {
        let doc = scan(text);
        for (index, item) in doc.items.iter().enumerate() {
            if item.parent.is_some() {
                continue;
            }
            let Some(arg) = item.args.first() else { continue };
            let child_args = |name: &str| -> Vec<String> {
                doc.items
                    .iter()
                    .filter(|c| c.parent == Some(index) && c.name.text == name)
                    .filter_map(Item::arg0)
                    .map(str::to_owned)
                    .collect()
            };
            let definition = Definition {
                name: arg.text.clone(),
                file: file.to_owned(),
                range: arg.inner.clone(),
                description: child_args("description").into_iter().next(),
                properties: child_args("property"),
            };
            let list = match item.name.text.as_str() {
                "cloud" => &mut self.clouds,
                "backing-kind" => &mut self.kinds,
                _ => continue,
            };
            list.retain(|d| d.name != definition.name);
            list.push(definition);
        }
    }

    /// The kind called `name`.
    pub fn kind(&self, name: &str) -> Option<&Definition> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// The cloud profile called `name`.
    pub fn cloud(&self, name: &str) -> Option<&Definition> {
        self.clouds.iter().find(|k| k.name == name)
    }

    /// A real file holding `definition`'s file: the file itself, or for a stdlib file a copy
    /// written once under the user's cache folder (the stdlib is embedded in the binary).
    pub fn file_of(&self, definition: &Definition) -> Option<(PathBuf, String)> {
        let text = self.texts.iter().find(|(name, _)| *name == definition.file).map(|(_, text)| text.clone())?;
        let Some(relative) = definition.file.strip_prefix('<').and_then(|p| p.strip_suffix('>')) else {
            return Some((PathBuf::from(&definition.file), text));
        };
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        let path = cache.join(format!("berth-{}", env!("CARGO_PKG_VERSION"))).join(relative);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text.as_str()) {
            std::fs::create_dir_all(path.parent()?).ok()?;
            std::fs::write(&path, &text).ok()?;
        }
        Some((path, text))
    }
}

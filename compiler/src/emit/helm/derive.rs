//! One object's template from its versions in the environments of a chart.
//!
//! What is the same in every environment stays literal (so the security context, the
//! NetworkPolicies and the labels cannot be changed from values); what differs becomes a
//! value: a leaf where the shapes agree, a whole map or list where they do not, and a
//! string that only differs by the environment's name a pattern over `environmentName`. A
//! workload's image is always a value (`<workload>.image.tag`), so a pipeline can deploy
//! the commit it built. Known leaves get short paths (`<workload>.replicas`,
//! `.resources`, `.autoscaling.minReplicas`, `.config.<KEY>`); the others live under the
//! object's slot (`<owner>.<kind>.<path>`).

use super::yaml::{Item, Node};
use serde_json::Value;

/// What a value is, for the values files and the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// A scalar (`quote` or `toJson`).
    Scalar,
    /// A map or list (`toYaml`).
    Tree,
    /// Whether an object present in some environments only is rendered.
    Enabled,
    /// A container image, split into repository, tag and digest.
    Image,
}

/// One value of the chart: its path and its value in each environment (`None` where the
/// object does not exist; `Null` where the object has no such field).
#[derive(Debug, Clone)]
pub struct Leaf {
    /// The path in the values.
    pub path: Vec<String>,
    /// What it is.
    pub kind: LeafKind,
    /// Per environment of the chart.
    pub per_env: Vec<Option<Value>>,
}

/// Where an object's values go.
pub struct Slot<'a> {
    /// The owner (workload or backing service) or `domainObjects`.
    pub owner: &'a str,
    /// The object's own key under the owner (`deployment`, `podDisruptionBudget`).
    pub slot: &'a str,
    /// The object's kind.
    pub kind: &'a str,
    /// Whether known leaves may take their short paths (the owner has one object of this kind).
    pub short: bool,
    /// Whether the owner is a workload or backing service (has an image).
    pub workload: bool,
}

/// The derivation of one object: the environment names and the values found so far.
pub struct Deriver<'a> {
    /// The chart's environments, in promotion order.
    pub envs: &'a [String],
    /// Every value, in the order found.
    pub leaves: Vec<Leaf>,
    /// Which slot took a short path's first key under an owner (`(order-api, image)` ->
    /// `deployment`): another object of the owner (a migration Job's image) puts its value
    /// under its own slot instead (`order-api.job.image`).
    pub claimed: std::collections::BTreeMap<(String, String), String>,
}

impl<'a> Deriver<'a> {
    /// Derive the template of an object whose version in environment `i` is `versions[i]`.
    pub fn object(&mut self, slot: &Slot<'_>, versions: &[Option<&Value>]) -> Node {
        let present: Vec<(usize, &Value)> =
            versions.iter().enumerate().filter_map(|(index, value)| value.map(|value| (index, value))).collect();
        let mut pointer = Vec::new();
        let mut label = Vec::new();
        let node = self.merge(slot, &present, &mut pointer, &mut label);
        let mut node = match node {
            Node::Literal(Value::Object(object)) => Node::Map(
                object
                    .into_iter()
                    .map(|(key, value)| Item::Key { key, node: Node::Literal(value), optional: false })
                    .collect(),
            ),
            other => other,
        };
        add_labels(&mut node);
        if present.len() < versions.len() {
            let per_env = versions.iter().map(|value| Some(Value::Bool(value.is_some()))).collect();
            self.leaves.push(Leaf {
                path: vec![slot.owner.to_owned(), slot.slot.to_owned(), "enabled".to_owned()],
                kind: LeafKind::Enabled,
                per_env,
            });
        }
        node
    }

    fn merge(
        &mut self,
        slot: &Slot<'_>,
        present: &[(usize, &Value)],
        pointer: &mut Vec<String>,
        label: &mut Vec<String>,
    ) -> Node {
        if slot.workload && is_image(slot.kind, pointer) && present.iter().all(|(_, value)| value.is_string()) {
            let path = self.path(slot, pointer, label);
            self.push(path.clone(), LeafKind::Image, present);
            return Node::Image { path };
        }
        let Some((_, first)) = present.first() else { return Node::Literal(Value::Null) };
        let image_below = slot.workload && above_image(slot.kind, pointer);
        if !image_below && present.iter().all(|(_, value)| value == first) {
            return Node::Literal((*first).clone());
        }
        if let Some(parts) = pattern(self.envs, present) {
            return Node::Pattern(parts);
        }
        let maps: Option<Vec<(usize, &serde_json::Map<String, Value>)>> =
            present.iter().map(|(index, value)| value.as_object().map(|map| (*index, map))).collect();
        if let Some(maps) = maps {
            let found = self.leaves.len();
            if let Some(node) = self.merge_maps(slot, &maps, pointer, label) {
                return node;
            }
            // Every key optional: the map as a whole is the value.
            self.leaves.truncate(found);
            return self.value(slot, present, pointer, label);
        }
        let lists: Option<Vec<(usize, &Vec<Value>)>> =
            present.iter().map(|(index, value)| value.as_array().map(|list| (*index, list))).collect();
        if let Some(lists) = lists
            && lists.iter().all(|(_, list)| list.len() == lists[0].1.len())
        {
            let mut nodes = Vec::new();
            for position in 0..lists[0].1.len() {
                let items: Vec<(usize, &Value)> = lists.iter().map(|(index, list)| (*index, &list[position])).collect();
                pointer.push(position.to_string());
                label.push(element_label(&items, position));
                nodes.push(self.merge(slot, &items, pointer, label));
                pointer.pop();
                label.pop();
            }
            return Node::List(nodes);
        }
        self.value(slot, present, pointer, label)
    }

    fn merge_maps(
        &mut self,
        slot: &Slot<'_>,
        maps: &[(usize, &serde_json::Map<String, Value>)],
        pointer: &mut Vec<String>,
        label: &mut Vec<String>,
    ) -> Option<Node> {
        let mut keys: Vec<&String> = Vec::new();
        for (_, map) in maps {
            for key in map.keys() {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let mut items = Vec::new();
        for key in keys {
            pointer.push(key.clone());
            label.push(key.clone());
            let values: Vec<(usize, &Value)> =
                maps.iter().filter_map(|(index, map)| map.get(key).map(|value| (*index, value))).collect();
            let item = if values.len() == maps.len() {
                Item::Key { key: key.clone(), node: self.merge(slot, &values, pointer, label), optional: false }
            } else {
                // In some environments only: a value, null where the key is absent.
                let null = Value::Null;
                let all: Vec<(usize, &Value)> =
                    maps.iter().map(|(index, map)| (*index, map.get(key).unwrap_or(&null))).collect();
                Item::Key { key: key.clone(), node: self.value(slot, &all, pointer, label), optional: true }
            };
            items.push(item);
            pointer.pop();
            label.pop();
        }
        let fixed = items.iter().any(|item| matches!(item, Item::Key { optional: false, .. }));
        fixed.then_some(Node::Map(items))
    }

    /// A leaf or subtree from values.
    fn value(&mut self, slot: &Slot<'_>, present: &[(usize, &Value)], pointer: &[String], label: &[String]) -> Node {
        let path = self.path(slot, pointer, label);
        let scalars = present.iter().all(|(_, value)| !value.is_object() && !value.is_array());
        if scalars {
            let strings = present.iter().all(|(_, value)| value.is_string());
            self.push(path.clone(), LeafKind::Scalar, present);
            Node::Scalar { path, strings }
        } else {
            self.push(path.clone(), LeafKind::Tree, present);
            Node::Tree { path }
        }
    }

    fn push(&mut self, path: Vec<String>, kind: LeafKind, present: &[(usize, &Value)]) {
        let mut per_env = vec![None; self.envs.len()];
        for (index, value) in present {
            if let Some(entry) = per_env.get_mut(*index) {
                *entry = Some((*value).clone());
            }
        }
        self.leaves.push(Leaf { path, kind, per_env });
    }

    /// The values path of the field at `pointer` (`label`: the same with list elements
    /// named by their `name` where they have one).
    fn path(&mut self, slot: &Slot<'_>, pointer: &[String], label: &[String]) -> Vec<String> {
        let mut path = vec![slot.owner.to_owned()];
        if slot.short
            && let Some((length, short)) = short_path(slot.kind, pointer)
        {
            let head = (slot.owner.to_owned(), short[0].to_owned());
            let owner = self.claimed.entry(head).or_insert_with(|| slot.slot.to_owned());
            if owner != slot.slot {
                path.push(slot.slot.to_owned());
            }
            path.extend(short.iter().map(|segment| (*segment).to_owned()));
            path.extend(label[length..].iter().cloned());
            return path;
        }
        path.push(slot.slot.to_owned());
        path.extend(label.iter().cloned());
        path
    }
}

/// The pod spec of a workload kind.
fn pod(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Whether `pointer` is the first container's image of a workload kind.
fn is_image(kind: &str, pointer: &[String]) -> bool {
    pod(kind).is_some_and(|pod| {
        pointer.len() == pod.len() + 3
            && pointer.iter().zip(pod.iter()).all(|(a, b)| a == b)
            && pointer[pod.len()..] == ["containers", "0", "image"]
    })
}

/// Whether `pointer` leads to the first container's image of a workload kind.
fn above_image(kind: &str, pointer: &[String]) -> bool {
    pod(kind).is_some_and(|pod| {
        let image = pod.iter().copied().chain(["containers", "0", "image"]);
        pointer.len() <= pod.len() + 3 && pointer.iter().zip(image).all(|(a, b)| a == b)
    })
}

/// The short values path of a known field, and how many pointer segments it replaces.
fn short_path(kind: &str, pointer: &[String]) -> Option<(usize, &'static [&'static str])> {
    let starts = |prefix: &[&str]| pointer.len() >= prefix.len() && pointer.iter().zip(prefix).all(|(a, b)| a == b);
    if let Some(pod) = pod(kind) {
        let mut container: Vec<&str> = pod.to_vec();
        container.extend(["containers", "0"]);
        let mut image = container.clone();
        image.push("image");
        if pointer.len() == image.len() && starts(&image) {
            return Some((image.len(), &["image"]));
        }
        let mut resources = container;
        resources.push("resources");
        if starts(&resources) {
            return Some((resources.len(), &["resources"]));
        }
        if matches!(kind, "Deployment" | "StatefulSet") && starts(&["spec", "replicas"]) {
            return Some((2, &["replicas"]));
        }
        return None;
    }
    match kind {
        "HorizontalPodAutoscaler" if starts(&["spec", "minReplicas"]) => Some((2, &["autoscaling", "minReplicas"])),
        "HorizontalPodAutoscaler" if starts(&["spec", "maxReplicas"]) => Some((2, &["autoscaling", "maxReplicas"])),
        "ConfigMap" if starts(&["data"]) => Some((1, &["config"])),
        _ => None,
    }
}

/// The first segment of the short paths: an object's slot never takes one of these names.
pub const SHORT_KEYS: &[&str] = &["image", "resources", "replicas", "autoscaling", "config", "enabled"];

/// A list element's path segment: its `name` when every environment names it the same,
/// else its position.
fn element_label(items: &[(usize, &Value)], position: usize) -> String {
    let name = items.first().and_then(|(_, value)| value.get("name")).and_then(Value::as_str);
    match name {
        Some(name) if items.iter().all(|(_, value)| value.get("name").and_then(Value::as_str) == Some(name)) => {
            name.to_owned()
        }
        _ => position.to_string(),
    }
}

/// When each environment's string is the same text around that environment's name, the
/// fixed parts (`["greeting-", ""]` for `greeting-dev` and `greeting-prod`).
fn pattern(envs: &[String], present: &[(usize, &Value)]) -> Option<Vec<String>> {
    if present.len() < 2 {
        return None;
    }
    let mut parts: Option<Vec<String>> = None;
    for (index, value) in present {
        let text = value.as_str()?;
        let env = envs.get(*index)?;
        if env.is_empty() || !text.contains(env.as_str()) {
            return None;
        }
        let these: Vec<String> = text.split(env.as_str()).map(str::to_owned).collect();
        match &parts {
            Some(parts) if *parts != these => return None,
            Some(_) => {}
            None => parts = Some(these),
        }
    }
    parts
}

/// Put the chart's labels into `metadata.labels` (a fixed map there, or a new one).
fn add_labels(node: &mut Node) {
    let Node::Map(items) = node else { return };
    let Some(Item::Key { node: metadata, .. }) =
        items.iter_mut().find(|item| matches!(item, Item::Key { key, .. } if key == "metadata"))
    else {
        return;
    };
    if let Node::Literal(Value::Object(object)) = metadata {
        let entries = std::mem::take(object);
        *metadata = Node::Map(
            entries
                .into_iter()
                .map(|(key, value)| Item::Key { key, node: Node::Literal(value), optional: false })
                .collect(),
        );
    }
    let Node::Map(fields) = metadata else { return };
    let labels =
        fields.iter_mut().find(|item| matches!(item, Item::Key { key, optional: false, .. } if key == "labels"));
    match labels {
        Some(Item::Key { node: labels, .. }) => {
            if let Node::Literal(Value::Object(object)) = labels {
                let entries = std::mem::take(object);
                *labels = Node::Map(
                    entries
                        .into_iter()
                        .map(|(key, value)| Item::Key { key, node: Node::Literal(value), optional: false })
                        .collect(),
                );
            }
            if let Node::Map(items) = labels {
                items.push(Item::Labels);
            }
        }
        _ => {
            if !fields.iter().any(|item| matches!(item, Item::Key { key, .. } if key == "labels")) {
                fields.push(Item::Key {
                    key: "labels".to_owned(),
                    node: Node::Map(vec![Item::Labels]),
                    optional: false,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pattern;
    use serde_json::json;

    #[test]
    fn patterns_need_the_same_text_around_each_environment() {
        let envs = ["dev".to_owned(), "prod".to_owned()];
        let (a, b) = (json!("greeting-dev"), json!("greeting-prod"));
        assert_eq!(pattern(&envs, &[(0, &a), (1, &b)]), Some(vec!["greeting-".to_owned(), String::new()]));
        let c = json!("other-prod");
        assert_eq!(pattern(&envs, &[(0, &a), (1, &c)]), None);
        assert_eq!(pattern(&envs, &[(0, &a)]), None);
    }
}

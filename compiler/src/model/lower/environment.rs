//! Lowering `environment` and its `rollout`.

use super::values::{Ctx, Once, args, children, has_child, prop};
use crate::diag::Spanned;
use crate::model::check;
use crate::model::errors::LowerError;
use crate::model::types::*;
use kdl::{KdlNode, KdlValue};

pub(super) fn environment(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Environment> {
    cx.shape(node, &["target", "production"], 1, "the environment name");
    let name = cx.name_arg(node, "environment", true);
    let mut targets: Vec<Spanned<String>> = cx.string_prop(node, "target").into_iter().collect();
    let production = prop(node, "production").and_then(|entry| cx.boolean(entry, "`production`"));
    let mut approval = None;
    let mut rollout = None;
    let mut once = Once::default();
    if let Some(entry) = prop(node, "target") {
        once.0.insert("target".to_owned(), cx.span(entry.span()));
    }
    for child in children(node) {
        let key = child.name().value();
        match key {
            "approval" => {
                if cx.once(&mut once, child, key, "environment") {
                    approval = cx.single_string(child);
                }
            }
            "rollout" => {
                if cx.once(&mut once, child, key, "environment") {
                    rollout = self::rollout(cx, child);
                }
            }
            "target" => {
                if cx.once(&mut once, child, key, "environment") {
                    cx.shape(child, &[], usize::MAX, "target names");
                    cx.no_children(child);
                    targets = args(child).filter_map(|entry| cx.string(entry, "a target name")).collect();
                    if targets.is_empty() {
                        cx.missing(child, "at least one target name", "write `target \"<name>\" \"<name>\"`");
                    }
                }
            }
            _ => {
                let help = check::suggestion(key, &["approval", "rollout", "target"]);
                cx.unknown_node(child, "in `environment`", help);
            }
        }
    }
    if targets.is_empty() && name.is_some() && prop(node, "target").is_none() && !has_child(node, "target") {
        cx.missing(node, "a `target`", "write `target=\"<name>\"` after the environment name");
    }
    Some(Environment { name: name?, targets, production, approval, rollout, span: cx.span_of(node) })
}

pub(super) fn rollout(cx: &mut Ctx<'_>, node: &KdlNode) -> Option<Rollout> {
    cx.shape(node, &["steps"], 1, "the strategy");
    cx.no_children(node);
    let strategy = match args(node).next() {
        Some(entry) => cx.string(entry, "the rollout strategy"),
        None => {
            cx.missing(node, "a strategy", "write `rollout \"rolling\"` (or `canary`, `blue-green`)");
            None
        }
    };
    if let Some(strategy) = &strategy {
        cx.choice(strategy, "rollout strategy", &["rolling", "canary", "blue-green"]);
    }
    let mut steps = Vec::new();
    if let Some(entry) = prop(node, "steps") {
        let span = cx.span(entry.span());
        let written = match entry.value() {
            KdlValue::String(text) => Some(text.clone()),
            KdlValue::Integer(number) => Some(number.to_string()),
            other => {
                cx.wrong_type(span, "`steps`", "a string of percentages", other, "write `steps=\"10,30,60\"`");
                None
            }
        };
        for part in written.iter().flat_map(|text| text.split(',')) {
            match part.trim().parse::<u8>() {
                Ok(step) if (1..=100).contains(&step) => steps.push(step),
                _ => {
                    cx.diags.at(
                        span,
                        LowerError::InvalidValue {
                            what: "`steps`".to_owned(),
                            value: written.clone().unwrap_or_default(),
                            reason: format!("`{}` is not a percentage from 1 to 100", part.trim()),
                            span,
                            help: "write comma-separated percentages, such as `steps=\"10,30,60\"`".to_owned(),
                        },
                    );
                    break;
                }
            }
        }
    }
    Some(Rollout { strategy: strategy?, steps, span: cx.span_of(node) })
}

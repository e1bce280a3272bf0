//! Lowering `environment` and its `rollout`.

use super::values::{Ctx, Once, args, children, has_child, prop};
use crate::diag::{Otherwise, Spanned, did_you_mean};
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
                let help = did_you_mean(key, &["approval", "rollout", "target"], Otherwise::Vocabulary);
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
    cx.shape(node, &["steps", "pause"], 1, "the strategy");
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
    let pause = prop(node, "pause").and_then(|entry| cx.string(entry, "`pause`"));
    if let Some(pause) = &pause
        && !is_duration(&pause.value)
    {
        let help = "write a number and `s`, `m` or `h`, such as `pause=\"10m\"`";
        cx.invalid_value(pause.span, "`pause`", &pause.value, "not a duration", help);
    }
    let strategy = strategy?;
    canary_settings(cx, node, &strategy, &steps);
    Some(Rollout { strategy, steps, pause, span: cx.span_of(node) })
}

/// `steps` and `pause` belong to a canary, which needs its steps in increasing order.
fn canary_settings(cx: &mut Ctx<'_>, node: &KdlNode, strategy: &Spanned<String>, steps: &[u8]) {
    if !["rolling", "canary", "blue-green"].contains(&strategy.value.as_str()) {
        return;
    }
    let canary = strategy.value == "canary";
    for key in ["steps", "pause"] {
        if let Some(entry) = prop(node, key).filter(|_| !canary) {
            let span = cx.span(entry.span());
            let help = format!("remove `{key}=`, or write `rollout \"canary\" steps=\"10,30,60\"`");
            let reason = format!("`{key}` is a canary setting; `{}` has no steps", strategy.value);
            cx.invalid_value(span, &format!("`{key}`"), &written(entry), &reason, &help);
        }
    }
    if !canary {
        return;
    }
    match prop(node, "steps") {
        None => cx.missing(node, "`steps`", "write the canary's traffic percentages, such as `steps=\"10,30,60\"`"),
        Some(entry) if steps.windows(2).any(|pair| pair[0] >= pair[1]) => {
            let span = cx.span(entry.span());
            let help = "write each step's percentage larger than the one before, such as `steps=\"10,30,60\"`";
            cx.invalid_value(span, "`steps`", &written(entry), "the percentages do not increase", help);
        }
        Some(_) => {}
    }
}

/// A property's value as written, without the quotes of a string.
fn written(entry: &kdl::KdlEntry) -> String {
    match entry.value() {
        KdlValue::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// An Argo Rollouts pause duration: digits and one unit (`30s`, `10m`, `1h`).
fn is_duration(text: &str) -> bool {
    let digits = text.trim_end_matches(['s', 'm', 'h']);
    text.len() == digits.len() + 1 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

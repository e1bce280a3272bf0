//! Recording what a rule found on an entity: one finding per (rule, entity, item), one
//! evaluation error per (rule, entity).

use super::errors::PolicyError;
use super::{Accumulator, Compiled, Entity, Finding};
use crate::diag::Diagnostics;

impl Accumulator {
    /// Record a failed rule on `entity` (about `item`) in `place`.
    pub(super) fn finding(
        &mut self,
        policy: &Compiled,
        policy_index: usize,
        rule_index: usize,
        entity: &Entity,
        item: Option<String>,
        place: &str,
    ) {
        let Some(rule) = policy.rules.get(rule_index) else { return };
        let label = match &item {
            Some(item) => format!("{}\u{0}{item}", entity.label),
            None => entity.label.clone(),
        };
        let finding = self.findings.entry((policy_index, rule_index, entity.span, label)).or_insert_with(|| {
            let message = rule.message.clone().unwrap_or_else(|| {
                let verb = if rule.require { "must hold" } else { "must not hold" };
                format!("`{}` {verb}", rule.expression.value)
            });
            Finding {
                policy: policy.id.clone(),
                severity: policy.severity,
                message: match &item {
                    Some(item) => format!("{message}: `{item}`"),
                    None => message,
                },
                entity: entity.label.clone(),
                on: entity.on.clone(),
                span: entity.span,
                places: Vec::new(),
                waived: false,
                waiver_reason: None,
                item,
            }
        });
        if !finding.places.iter().any(|p| p == place) {
            finding.places.push(place.to_owned());
        }
    }

    /// Report a rule that could not be evaluated on `entity`: once per rule and entity,
    /// however many views or items fail the same way.
    pub(super) fn error(
        &mut self,
        diags: &mut Diagnostics,
        policy: &Compiled,
        policy_index: usize,
        rule_index: usize,
        entity: &Entity,
        reason: String,
    ) {
        let Some(rule) = policy.rules.get(rule_index) else { return };
        if self.errors.insert((policy_index, rule_index, entity.span), ()).is_none() {
            diags.at(
                rule.expression.span,
                PolicyError::EvaluationFailed {
                    policy: policy.id.clone(),
                    entity: format!("`{}`", entity.label),
                    reason,
                    span: rule.expression.span,
                },
            );
        }
    }
}

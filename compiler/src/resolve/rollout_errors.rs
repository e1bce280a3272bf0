//! Errors of resolving an environment's `rollout` against its targets.

use crate::diag::Span;
use miette::Diagnostic;
use thiserror::Error;

/// A progressive rollout that a target or a workload cannot carry out.
#[derive(Debug, Error, Diagnostic)]
pub enum RolloutError {
    /// A `canary` or `blue-green` rollout on a target whose cluster runs no rollout
    /// controller: nothing would carry it out.
    #[error(
        "environment `{env}` asks for a `{strategy}` rollout, but target `{target}` runs no Argo Rollouts controller"
    )]
    #[diagnostic(
        code(resolve::rollout_without_controller),
        help(
            "add `rollouts-controller #true` to target `{target}` once the cluster runs Argo Rollouts, or write `rollout \"rolling\"`"
        )
    )]
    RolloutWithoutController {
        /// Environment.
        env: String,
        /// `canary` or `blue-green`.
        strategy: &'static str,
        /// The target.
        target: String,
        /// The `rollout` node.
        #[label("no controller on `{target}` carries this out")]
        span: Span,
    },

    /// Workloads the environment's rollout strategy does not apply to: jobs (a CronJob
    /// starts each run afresh) and, under blue-green, workers (no Service to switch).
    #[error("the `{strategy}` rollout of environment `{env}` leaves these as they are: {workloads}")]
    #[diagnostic(
        code(resolve::rollout_not_applied),
        severity(Warning),
        help(
            "nothing to change for jobs, each run starts the newest image; a worker rolls out `canary` (by replica ratio), or is declared a `service` to get one"
        )
    )]
    RolloutNotApplied {
        /// `canary` or `blue-green`.
        strategy: &'static str,
        /// Environment.
        env: String,
        /// The workloads, in words.
        workloads: String,
        /// The `rollout` node.
        #[label("does not apply to every workload")]
        span: Span,
    },

    /// A progressive rollout in an environment that runs no service, worker or job at
    /// all on any target: nothing for it to roll out.
    #[error("the `{strategy}` rollout of environment `{env}` has nothing to roll out: no workload runs there")]
    #[diagnostic(
        code(resolve::rollout_nothing_to_roll),
        severity(Warning),
        help(
            "declare the environment's services and workers in a `domain`, or remove the `rollout` node until some run there"
        )
    )]
    NothingToRoll {
        /// `canary` or `blue-green`.
        strategy: &'static str,
        /// Environment.
        env: String,
        /// The `rollout` node.
        #[label("changes nothing")]
        span: Span,
    },

    /// A canary by replica ratio (no traffic router for the workload on the target) whose
    /// steps are finer than one of the workload's pods.
    #[error("the canary steps of environment `{env}` are finer than one pod of {workloads}")]
    #[diagnostic(code(resolve::rollout_replica_ratio), severity(Warning), help("{help}"))]
    ReplicaRatio {
        /// Environment.
        env: String,
        /// Each workload with its pods and targets, in words.
        workloads: String,
        /// What to write instead.
        help: String,
        /// The `rollout` node.
        #[label("shifts whole pods where there is no traffic router")]
        span: Span,
    },
}

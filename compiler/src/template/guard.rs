//! A static bound on what a template can allocate, checked before it renders.
//!
//! minijinja's fuel bounds the steps of a render and Berth caps its output, but one step
//! can build a large value: `"x" * 100000000` is 100 MB in one instruction, and
//! `{% set a = a ~ a %}` written thirty times doubles a string to gigabytes before anything
//! is printed. This walks the template's syntax tree and estimates, for every expression,
//! the largest value it can produce: a context variable is at most the whole context, a
//! literal its length, `~` and `+` add, `*` multiplies by the largest number the other side
//! can be, a loop variable is at most what it walks, a `set` variable what it was set to.
//! An estimate past [`MAX_VALUE`] refuses the template with the line; so does a construct
//! that the estimate cannot follow (`with`, macros, `namespace()`, recursive loops, filters
//! outside a known list). The estimate depends only on the template and the size of the
//! context, so the answer is the same on every machine.

use minijinja::machinery::ast::{self, BinOpKind, CallArg, Expr, Stmt};
use minijinja::machinery::{WhitespaceConfig, parse};
use minijinja::syntax::SyntaxConfig;
use std::collections::BTreeMap;

/// The largest value one expression may be estimated to build.
pub const MAX_VALUE: u64 = 1024 * 1024;

/// Elements `range()` yields at most (minijinja refuses more).
const MAX_RANGE: u64 = 100_000;

/// The estimate of one value: its size in bytes and, when it may be a number, how large
/// the number may be (what a `*` repeats by).
#[derive(Clone, Copy)]
struct Est {
    size: u64,
    magnitude: u64,
    number: bool,
}

impl Est {
    const fn number(magnitude: u64) -> Self {
        Self { size: 24, magnitude, number: true }
    }
    const fn text(size: u64) -> Self {
        Self { size, magnitude: 0, number: false }
    }
    /// Anything: a string or list of `size` bytes, or any number.
    const fn any(size: u64) -> Self {
        Self { size, magnitude: u64::MAX, number: false }
    }
    fn max(self, other: Self) -> Self {
        Self {
            size: self.size.max(other.size),
            magnitude: self.magnitude.max(other.magnitude),
            number: self.number && other.number,
        }
    }
}

/// `Err` with the reason (and the template line) when the template may build a value past
/// [`MAX_VALUE`] from a context of `context_bytes` bytes, or uses a construct the estimate
/// cannot follow. A template that does not parse passes: rendering reports the error.
pub fn check(source: &str, syntax: SyntaxConfig, context_bytes: u64) -> Result<(), String> {
    let whitespace = WhitespaceConfig { keep_trailing_newline: false, lstrip_blocks: true, trim_blocks: true };
    let Ok(tree) = parse(source, "<template>", syntax, whitespace) else { return Ok(()) };
    let mut walker = Walker { context: context_bytes.max(1), vars: BTreeMap::new() };
    walker.stmt(&tree)
}

struct Walker<'a> {
    context: u64,
    vars: BTreeMap<&'a str, Est>,
}

impl<'a> Walker<'a> {
    fn stmts(&mut self, stmts: &'a [Stmt<'a>]) -> Result<(), String> {
        stmts.iter().try_for_each(|stmt| self.stmt(stmt))
    }

    fn stmt(&mut self, stmt: &'a Stmt<'a>) -> Result<(), String> {
        match stmt {
            Stmt::Template(template) => self.stmts(&template.children),
            Stmt::EmitRaw(_) => Ok(()),
            Stmt::EmitExpr(emit) => self.expr(&emit.expr).map(|_| ()),
            Stmt::Set(set) => {
                let value = self.expr(&set.expr)?;
                self.bind(&set.target, value);
                Ok(())
            }
            Stmt::IfCond(cond) => {
                self.expr(&cond.expr)?;
                self.stmts(&cond.true_body)?;
                self.stmts(&cond.false_body)
            }
            Stmt::ForLoop(for_loop) => {
                if for_loop.recursive {
                    return Err(unsupported("a recursive loop", for_loop.span()));
                }
                let iter = self.expr(&for_loop.iter)?;
                self.bind(&for_loop.target, Est::any(iter.size));
                if let Some(filter) = &for_loop.filter_expr {
                    self.expr(filter)?;
                }
                self.stmts(&for_loop.body)?;
                self.stmts(&for_loop.else_body)
            }
            Stmt::WithBlock(block) => Err(unsupported("`{% with %}`", block.span())),
            Stmt::SetBlock(block) => {
                // The variable holds what the body prints.
                let captured = self.captured(&block.body)?;
                if let Some(filter) = &block.filter {
                    self.expr(filter)?;
                }
                if captured > MAX_VALUE {
                    return Err(format!(
                        "line {} of the template can capture up to {captured} bytes in a `{{% set %}}` block, more than the limit of {MAX_VALUE}",
                        block.span().start_line
                    ));
                }
                self.bind(&block.target, Est::text(captured));
                Ok(())
            }
            Stmt::FilterBlock(block) => Err(unsupported("a `{% filter %}` block", block.span())),
            Stmt::AutoEscape(block) => Err(unsupported("`{% autoescape %}`", block.span())),
            Stmt::Do(block) => Err(unsupported("`{% do %}`", block.span())),
            _ => Err("the template uses a block Berth templates do not support (macros, calls, includes, imports, \
                      blocks, loop controls): write it with `if`, `for`, `set` and expressions"
                .to_owned()),
        }
    }

    /// The most bytes `stmts` can print: raw text, each printed value, loops times the
    /// elements they can walk (at most the bytes of what they walk).
    fn captured(&mut self, stmts: &'a [Stmt<'a>]) -> Result<u64, String> {
        let mut total = 0u64;
        for stmt in stmts {
            let size = match stmt {
                Stmt::EmitRaw(raw) => u64::try_from(raw.raw.len()).unwrap_or(u64::MAX),
                Stmt::EmitExpr(emit) => self.expr(&emit.expr)?.size,
                Stmt::IfCond(cond) => {
                    self.expr(&cond.expr)?;
                    self.captured(&cond.true_body)?.max(self.captured(&cond.false_body)?)
                }
                Stmt::ForLoop(for_loop) => {
                    self.stmt(stmt)?;
                    let iterations = self.expr(&for_loop.iter)?.size.max(1);
                    iterations.saturating_mul(self.captured(&for_loop.body)?)
                }
                other => {
                    self.stmt(other)?;
                    0
                }
            };
            total = total.saturating_add(size);
        }
        Ok(total)
    }

    /// Give every name of an assignment target the estimate.
    fn bind(&mut self, target: &'a Expr<'a>, value: Est) {
        match target {
            Expr::Var(var) => {
                self.vars.insert(var.id, value);
            }
            Expr::List(list) => list.items.iter().for_each(|item| self.bind(item, value)),
            _ => {}
        }
    }

    fn expr(&mut self, expr: &'a Expr<'a>) -> Result<Est, String> {
        let (est, span) = match expr {
            Expr::Var(var) => (self.vars.get(var.id).copied().unwrap_or(Est::any(self.context)), var.span()),
            Expr::Const(constant) => (constant_estimate(&constant.value), constant.span()),
            Expr::Slice(slice) => {
                for part in [&slice.start, &slice.stop, &slice.step].into_iter().flatten() {
                    self.expr(part)?;
                }
                (Est::text(self.expr(&slice.expr)?.size), slice.span())
            }
            Expr::UnaryOp(op) => (self.expr(&op.expr)?, op.span()),
            Expr::BinOp(op) => (self.binop(op)?, op.span()),
            Expr::Compare(compare) => {
                self.expr(&compare.expr)?;
                for op in &compare.ops {
                    self.expr(&op.expr)?;
                }
                (Est::number(1), compare.span())
            }
            Expr::IfExpr(if_expr) => {
                self.expr(&if_expr.test_expr)?;
                let mut est = self.expr(&if_expr.true_expr)?;
                if let Some(other) = &if_expr.false_expr {
                    est = est.max(self.expr(other)?);
                }
                (est, if_expr.span())
            }
            Expr::Filter(filter) => (self.filter(filter)?, filter.span()),
            Expr::Test(test) => {
                self.expr(&test.expr)?;
                self.args(&test.args)?;
                (Est::number(1), test.span())
            }
            Expr::GetAttr(get) => (Est::any(self.expr(&get.expr)?.size), get.span()),
            Expr::GetItem(get) => {
                self.expr(&get.subscript_expr)?;
                (Est::any(self.expr(&get.expr)?.size), get.span())
            }
            Expr::Call(call) => (self.call(call)?, call.span()),
            Expr::List(list) => {
                let mut size = 0u64;
                for item in &list.items {
                    size = size.saturating_add(self.expr(item)?.size);
                }
                (Est::text(size), list.span())
            }
            Expr::Map(map) => {
                let mut size = 0u64;
                for item in map.keys.iter().chain(&map.values) {
                    size = size.saturating_add(self.expr(item)?.size);
                }
                (Est::text(size), map.span())
            }
        };
        if est.size > MAX_VALUE {
            return Err(format!(
                "line {} of the template can build a value of up to {} bytes, more than the limit of {MAX_VALUE} \
                 (a `*` by a large or unknown number, or `~`/`+` repeated on the same value)",
                span.start_line,
                if est.size == u64::MAX { "unbounded".to_owned() } else { est.size.to_string() }
            ));
        }
        Ok(est)
    }

    fn binop(&mut self, op: &'a ast::BinOp<'a>) -> Result<Est, String> {
        let (left, right) = (self.expr(&op.left)?, self.expr(&op.right)?);
        Ok(match op.op {
            BinOpKind::Eq
            | BinOpKind::Ne
            | BinOpKind::Lt
            | BinOpKind::Lte
            | BinOpKind::Gt
            | BinOpKind::Gte
            | BinOpKind::In => Est::number(1),
            BinOpKind::ScAnd | BinOpKind::ScOr => left.max(right),
            BinOpKind::Add if left.number && right.number => {
                Est::number(left.magnitude.saturating_add(right.magnitude))
            }
            BinOpKind::Add | BinOpKind::Concat => Est::any(left.size.saturating_add(right.size)),
            BinOpKind::Sub | BinOpKind::Div | BinOpKind::FloorDiv | BinOpKind::Rem => {
                Est::number(left.magnitude.max(right.magnitude))
            }
            BinOpKind::Pow => Est::number(u64::MAX),
            BinOpKind::Mul if left.number && right.number => {
                Est::number(left.magnitude.saturating_mul(right.magnitude))
            }
            // A string or list repeated: its size times the largest number the other side
            // can be.
            BinOpKind::Mul => {
                let by_right = if left.number { 0 } else { left.size.saturating_mul(right.magnitude) };
                let by_left = if right.number { 0 } else { right.size.saturating_mul(left.magnitude) };
                Est::any(by_right.max(by_left))
            }
        })
    }

    fn args(&mut self, args: &'a [CallArg<'a>]) -> Result<Vec<Est>, String> {
        args.iter()
            .map(|arg| match arg {
                CallArg::Pos(expr) | CallArg::Kwarg(_, expr) | CallArg::PosSplat(expr) | CallArg::KwargSplat(expr) => {
                    self.expr(expr)
                }
            })
            .collect()
    }

    fn filter(&mut self, filter: &'a ast::Filter<'a>) -> Result<Est, String> {
        let input = match &filter.expr {
            Some(expr) => self.expr(expr)?,
            None => Est::text(0),
        };
        let args = self.args(&filter.args)?;
        let arg = |index: usize| args.get(index).copied().unwrap_or(Est::text(0));
        let size = input.size;
        Ok(match filter.name {
            "length" | "count" | "int" | "float" | "abs" | "round" | "bool" | "mib" | "gib" | "vcpus" | "sum" => {
                Est::number(u64::MAX)
            }
            "lower" | "upper" | "trim" | "title" | "capitalize" | "string" | "safe" | "first" | "last" | "reverse"
            | "sort" | "unique" | "list" | "items" | "dictsort" | "min" | "max" | "select" | "reject"
            | "selectattr" | "rejectattr" | "map" | "attr" | "truncate" | "split" | "lines" | "striptags" => {
                Est::any(size.saturating_mul(2).saturating_add(64))
            }
            "default" | "d" => input.max(arg(0)),
            "escape" | "e" | "tojson" | "urlencode" | "pprint" => Est::text(size.saturating_mul(6).saturating_add(16)),
            // The chart templates' filters (emit::helm): escapes and quotes, a path joined.
            "yaml" | "go_string" | "helm_text" | "value_ref" => Est::text(size.saturating_mul(6).saturating_add(16)),
            "md_cell" => Est::text(size.saturating_mul(2).saturating_add(16)),
            // A DNS label: at most 63 characters whatever its input.
            "dns_label" => Est::text(63),
            "replace" => Est::text(size.saturating_mul(arg(1).size.saturating_add(1))),
            "join" => Est::text(size.saturating_mul(arg(0).size.saturating_add(1))),
            "indent" => Est::text(size.saturating_mul(arg(0).magnitude.saturating_add(1))),
            name => {
                return Err(format!(
                    "the template uses the filter `{name}`, which Berth templates do not allow (its output size \
                     cannot be bounded); write it with the filters listed in docs/backing-services.md"
                ));
            }
        })
    }

    fn call(&mut self, call: &'a ast::Call<'a>) -> Result<Est, String> {
        let args = self.args(&call.args)?;
        match &call.expr {
            Expr::Var(var) if var.id == "range" => {
                let count = args.iter().map(|arg| arg.magnitude).max().unwrap_or(0).min(MAX_RANGE);
                Ok(Est::text(count.saturating_mul(24)))
            }
            Expr::Var(var) if var.id == "dict" => {
                Ok(Est::text(args.iter().fold(0u64, |sum, arg| sum.saturating_add(arg.size))))
            }
            Expr::Var(var) => Err(format!(
                "the template calls `{}()`, which Berth templates do not allow; only `range()` and `dict()` are",
                var.id
            )),
            other => {
                // A method (`loop.cycle(..)`, `value.items()`): at most its object and arguments.
                let object = self.expr(other)?;
                Ok(Est::any(args.iter().fold(object.size.saturating_mul(2), |sum, arg| sum.saturating_add(arg.size))))
            }
        }
    }
}

fn constant_estimate(value: &minijinja::Value) -> Est {
    if let Some(number) = value.as_i64() {
        return Est::number(number.unsigned_abs());
    }
    match value.kind() {
        minijinja::value::ValueKind::Number => Est::number(u64::MAX),
        minijinja::value::ValueKind::Bool | minijinja::value::ValueKind::None => Est::number(1),
        _ => Est::text(u64::try_from(value.to_string().len()).unwrap_or(u64::MAX)),
    }
}

fn unsupported(what: &str, span: minijinja::machinery::Span) -> String {
    format!(
        "line {} of the template uses {what}, which Berth templates do not support: write it with `if`, `for`, `set` \
         and expressions",
        span.start_line
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(source: &str) -> Result<(), String> {
        check(source, SyntaxConfig::default(), 2_000)
    }

    #[test]
    fn the_stdlib_shapes_pass() {
        for source in [
            "{{ name ~ \"-binding\" }}",
            "{{ (namespace ~ \"-\" ~ name)[:63]|trim(\"-\") }}",
            "{{ ((props.memory|mib) * 3 // 4) ~ \"mb\" }}",
            "{% set sku = params[\"x\"]|default(\"Standard_B1ms\") %}{% set tier = \"B\" if sku[:10] == \"S\" else \"G\" %}{{ tier }}",
            "{% for s in params[\"subnets\"]|split(\",\") %}- {{ s|tojson }}\n{% endfor %}",
            "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}",
        ] {
            assert_eq!(guard(source), Ok(()), "{source}");
        }
    }

    #[test]
    fn large_values_are_refused_before_rendering() {
        let big = guard("{{ \"x\" * 100000000 }}").unwrap_err();
        assert!(big.contains("line 1") && big.contains("100000000 bytes"), "{big}");
        let doubling =
            "{% set a = \"xxxxxxxxxxxxxxxx\" %}".to_owned() + &"{% set a = a ~ a %}".repeat(20) + "{{ a|length }}";
        assert!(guard(&doubling).unwrap_err().contains("more than the limit"));
        assert!(guard("{{ name * props.replicas }}").unwrap_err().contains("unbounded"));
        assert!(guard("{{ name|replace(\"a\", name * 100) }}").is_err());
        assert!(guard("{% for x in range(10000) %}{{ x }}{% endfor %}").is_ok());
        assert!(guard("{% for x in range(100000) %}{{ x }}{% endfor %}").is_err(), "2.4 MB of numbers");
        assert!(guard("{{ \"%s\"|format(1) }}").unwrap_err().contains("`format`"));
        assert!(guard("{% set ns = namespace(a=1) %}").unwrap_err().contains("namespace"));
        assert!(guard("{% macro m() %}x{% endmacro %}").is_err());
        assert!(guard("{% set x %}{{ name }}-{{ name }}{% endset %}{{ x }}").is_ok());
        let block = "{% set x %}{% for i in range(10000) %}{{ name ~ name }}{% endfor %}{% endset %}{{ x }}";
        assert!(guard(block).unwrap_err().contains("`{% set %}` block"));
        assert!(guard("{% for x in y recursive %}{{ loop(x) }}{% endfor %}").is_err());
    }
}

//! The CEL engine: compile expressions once, evaluate them against JSON variables.
//!
//! In: expression text and a map of variables (JSON values). Out: a boolean or a message.
//! Numbers become CEL `int` when they are integers (so `replicas >= 2` compares ints),
//! otherwise `double`. Besides the CEL standard library and the `strings` extension,
//! expressions may call `entropy(string)`: the Shannon entropy in bits per character.
//! Nothing here panics on user input: a panic inside the CEL library is caught and
//! reported as an evaluation error.

use cel::extractors::This;
use cel::{Context, Env, Program, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The compile environment shared by every policy of a compilation, and the root
/// evaluation context that holds our functions (each entity's context is a child of it).
pub(crate) struct Engine {
    env: Arc<Env>,
    functions: Context<'static, 'static>,
}

impl Engine {
    /// The standard CEL environment plus the `strings` extension and our functions.
    /// `Err` when one cannot be declared (a name clash with the CEL library: a bug in
    /// Berth, reported, never ignored).
    pub(crate) fn new() -> Result<Self, String> {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .map_err(|error| format!("the CEL `strings` extension cannot be declared: {error}"))?;
        let env = Arc::new(env);
        let functions = functions(Context::with_env(Arc::clone(&env)))?;
        Ok(Self { env, functions })
    }

    /// Compile one expression; `Err` carries the parser's message and the byte offset
    /// of the first error within the expression, when the parser gives one.
    pub(crate) fn compile(&self, expression: &str) -> Result<Program, (String, Option<usize>)> {
        let env = Arc::clone(&self.env);
        let text = expression.to_owned();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || env.compile(&text))) {
            Ok(Ok(program)) => Ok(program),
            Ok(Err(errors)) => {
                let message = errors.errors.iter().map(|error| error.msg.clone()).collect::<Vec<_>>().join("; ");
                let offset = errors.errors.first().and_then(|error| byte_offset(expression, error.pos));
                Err((message, offset))
            }
            Err(_) => Err(("the CEL parser failed on this expression".to_owned(), None)),
        }
    }

    /// The evaluation context of one entity: its variables and our functions. Built once
    /// per entity and shared by every policy evaluated on it.
    pub(crate) fn context(&self, variables: &BTreeMap<&str, serde_json::Value>) -> Context<'_, 'static> {
        let mut context = self.functions.new_inner_scope();
        for (name, value) in variables {
            context.add_variable_from_value(*name, to_cel(value));
        }
        context
    }

    /// `context` with the variable `item` added (a rule with `each=`).
    pub(crate) fn with_item<'c, 'v>(&self, context: &'c Context<'_, 'v>, item: &serde_json::Value) -> Context<'c, 'v> {
        let mut inner = context.new_inner_scope();
        inner.add_variable_from_value("item", to_cel(item));
        inner
    }

    /// Evaluate a compiled expression in `context`; `Ok` only for a boolean result.
    pub(crate) fn evaluate(&self, program: &Program, context: &Context<'_, '_>) -> Result<bool, String> {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.execute(context)));
        match result {
            Ok(Ok(Value::Bool(value))) => Ok(value),
            Ok(Ok(other)) => Err(format!("the expression gave {:?}, not a bool", other.type_of())),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("the CEL evaluator failed on this expression".to_owned()),
        }
    }
}

/// `context` with our functions added: `entropy(text)`, and `text.matches(pattern)` /
/// `matches(text, pattern)`, CEL's RE2-style regex match with each pattern compiled once
/// per process (policies run it for every workload of every view, and compiling
/// dominated their cost).
fn functions(mut context: Context<'static, 'static>) -> Result<Context<'static, 'static>, String> {
    let declare =
        |name: &str, error: cel::DeclarationError| format!("the CEL function `{name}` cannot be declared: {error}");
    context.add_function("entropy", |text: Arc<String>| entropy(&text)).map_err(|e| declare("entropy", e))?;
    context
        .add_function("matches", |This(text): This<Arc<String>>, pattern: Arc<String>| regex_match(&text, &pattern))
        .map_err(|e| declare("matches", e))?;
    Ok(context)
}

/// The byte offset of a CEL parser position (1-based line, 1-based character column) in
/// `text`; a column just past the end of a line is the end of that line.
fn byte_offset(text: &str, (line, column): (isize, isize)) -> Option<usize> {
    let line = usize::try_from(line).ok()?.checked_sub(1)?;
    let column = usize::try_from(column).ok()?.checked_sub(1)?;
    let mut start = 0;
    for (index, content) in text.split('\n').enumerate() {
        if index == line {
            let within = content.char_indices().nth(column).map_or(content.len(), |(offset, _)| offset);
            return Some(start + within);
        }
        start += content.len() + 1;
    }
    None
}

/// A JSON value as a CEL value.
fn to_cel(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(value) => Value::Bool(*value),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(int) => Value::Int(int),
            None => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(text) => Value::String(Arc::new(text.clone())),
        serde_json::Value::Array(items) => Value::List(Arc::new(items.iter().map(to_cel).collect())),
        serde_json::Value::Object(entries) => {
            let map: HashMap<String, Value> = entries.iter().map(|(key, value)| (key.clone(), to_cel(value))).collect();
            Value::Map(map.into())
        }
    }
}

/// Shannon entropy of `text` in bits per character (0 for the empty string).
/// Whether `pattern` matches somewhere in `text` (CEL `matches`, unanchored).
fn regex_match(text: &str, pattern: &str) -> Result<bool, cel::ExecutionError> {
    static CACHE: OnceLock<Mutex<BTreeMap<String, regex::Regex>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Mutex::default).lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(compiled) = cache.get(pattern) {
        return Ok(compiled.is_match(text));
    }
    let compiled = regex::Regex::new(pattern).map_err(|error| {
        cel::ExecutionError::function_error("matches", format!("'{pattern}' is not a valid regex: {error}"))
    })?;
    let matched = compiled.is_match(text);
    cache.insert(pattern.to_owned(), compiled);
    Ok(matched)
}

fn entropy(text: &str) -> f64 {
    let mut counts: BTreeMap<char, u32> = BTreeMap::new();
    let mut total = 0u32;
    for character in text.chars() {
        *counts.entry(character).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .values()
        .map(|count| {
            let p = f64::from(*count) / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::{Engine, entropy, functions};
    use cel::{Context, Env};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn eval(expression: &str, variables: &[(&'static str, serde_json::Value)]) -> Result<bool, String> {
        let engine = Engine::new()?;
        let program = engine.compile(expression).map_err(|(message, _)| message)?;
        let variables: BTreeMap<&str, serde_json::Value> = variables.iter().cloned().collect();
        engine.evaluate(&program, &engine.context(&variables))
    }

    #[test]
    fn evaluates_ints_maps_and_strings() {
        assert_eq!(eval("replicas >= 2", &[("replicas", serde_json::json!(3))]), Ok(true));
        assert_eq!(eval("scale == null || scale.min >= 2", &[("scale", serde_json::json!(null))]), Ok(true));
        assert_eq!(
            eval("config.exists(k, k.matches('(?i)token'))", &[("config", serde_json::json!({"API_TOKEN": "x"}))]),
            Ok(true)
        );
        assert_eq!(eval("'AbC'.lowerAscii() == 'abc'", &[]), Ok(true));
        assert_eq!(eval("entropy('aaaa') == 0.0", &[]), Ok(true));
    }

    #[test]
    fn reports_errors_without_panicking() {
        assert!(eval("replicas >=", &[]).is_err());
        assert!(eval("missing > 1", &[]).is_err());
        assert!(eval("1 + 1", &[]).is_err());
        assert!(eval("object.spec.x", &[("object", serde_json::json!({"spec": {}}))]).is_err());
    }

    #[test]
    fn parse_errors_carry_their_offset() {
        let Ok(engine) = Engine::new() else { panic!("the engine builds") };
        assert_eq!(engine.compile("a +* b").err().and_then(|(_, offset)| offset), Some(3));
        assert_eq!(engine.compile("x.y(").err().and_then(|(_, offset)| offset), Some(4));
        assert_eq!(engine.compile("a\n  +* b").err().and_then(|(_, offset)| offset), Some(5));
    }

    #[test]
    fn a_function_that_cannot_be_declared_is_an_error() {
        // An environment that already declares `entropy` as a standard overload: adding
        // ours clashes, and that must not be silently dropped.
        fn stub<'b, 'v>(
            _: Vec<cel::common::value::CowVal<'b, 'v>>,
        ) -> Result<cel::common::value::CowVal<'b, 'v>, cel::ExecutionError> {
            Err(cel::ExecutionError::function_error("entropy", "stub"))
        }
        let mut env = Env::stdlib();
        let clash = env.add_overload("entropy", "entropy_stub", vec![cel::common::types::STRING_TYPE], stub);
        assert!(clash.is_ok(), "{clash:?}");
        let error = functions(Context::with_env(Arc::new(env))).err();
        assert!(error.as_deref().is_some_and(|e| e.contains("`entropy` cannot be declared")), "{error:?}");
        assert!(Engine::new().is_ok());
    }

    #[test]
    fn entropy_of_random_looking_text_is_high() {
        assert!(entropy("kJ8s2LqP0xZr7VbN4mWc9TyH") > 4.0);
        assert!(entropy("https://psp.example.net") < 4.0);
    }
}

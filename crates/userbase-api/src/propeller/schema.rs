//! Propeller's schema checks, in the words of its validator (`#: extraneous key [x] is not permitted`,
//! `#/phone: expected type: String, found: Boolean`, `#: required key [city] not found`): a reader over a
//! JSON object that collects every violation with its JSON-pointer-like location, so that a handler reports
//! them all at once as a 10007.

use serde_json::{Map, Value};
use userbase_core::patch::Patch;

/// The validator's name for a JSON value's type.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// Violations found so far, shared by the readers of one document.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<String>);

impl Violations {
    pub fn push(&mut self, at: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{at}: {message}"));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One JSON object at a location (`#`, `#/users/0`, `#/users/0/addresses/1`).
pub struct Obj<'a> {
    pub at: String,
    pub map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    pub fn new(at: impl Into<String>, map: &'a Map<String, Value>) -> Self {
        Self { at: at.into(), map }
    }

    /// The location of a member.
    pub fn at_key(&self, key: &str) -> String {
        format!("{}/{key}", self.at)
    }

    /// Refuses members other than `allowed`.
    pub fn allow(&self, allowed: &[&str], v: &mut Violations) {
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                v.push(&self.at, format_args!("extraneous key [{key}] is not permitted"));
            }
        }
    }

    /// Requires members to be present and not null.
    pub fn require(&self, keys: &[&str], v: &mut Violations) {
        for key in keys {
            if self.map.get(*key).is_none_or(Value::is_null) {
                v.push(&self.at, format_args!("required key [{key}] not found"));
            }
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    fn wrong_type(&self, key: &str, expected: &str, found: &Value, v: &mut Violations) {
        v.push(&self.at_key(key), format_args!("expected type: {expected}, found: {}", type_name(found)));
    }

    /// A text member: absent keeps, `null` clears.
    pub fn text(&self, key: &str, v: &mut Violations) -> Patch<String> {
        match self.map.get(key) {
            None => Patch::Keep,
            Some(Value::Null) => Patch::Clear,
            Some(Value::String(s)) => Patch::Set(s.clone()),
            Some(other) => {
                self.wrong_type(key, "String", other, v);
                Patch::Keep
            }
        }
    }

    /// A text member that clients also send as a number (`phone`, `debtorId`, `sourceId`, house numbers):
    /// kept as the number's decimal text.
    pub fn text_or_number(&self, key: &str, v: &mut Violations) -> Patch<String> {
        match self.map.get(key) {
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Patch::Set(n.to_string()),
            Some(other @ Value::Number(_)) => {
                self.wrong_type(key, "String", other, v);
                Patch::Keep
            }
            _ => self.text(key, v),
        }
    }

    /// A `Y`/`N` flag (booleans are taken too).
    pub fn flag(&self, key: &str, v: &mut Violations) -> Option<bool> {
        match self.map.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "Y" || s == "y" => Some(true),
            Some(Value::String(s)) if s == "N" || s == "n" => Some(false),
            Some(Value::String(s)) => {
                v.push(&self.at_key(key), format_args!("{s} is not a valid enum value"));
                None
            }
            Some(other) => {
                self.wrong_type(key, "String", other, v);
                None
            }
        }
    }

    /// An integer member.
    pub fn integer(&self, key: &str, v: &mut Violations) -> Option<i64> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(other) => {
                self.wrong_type(key, "Integer", other, v);
                None
            }
        }
    }

    /// A number member.
    pub fn number(&self, key: &str, v: &mut Violations) -> Option<f64> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                self.wrong_type(key, "Number", other, v);
                None
            }
        }
    }

    /// An object member.
    pub fn object(&self, key: &str, v: &mut Violations) -> Option<Obj<'a>> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(Obj::new(self.at_key(key), m)),
            Some(other) => {
                self.wrong_type(key, "JSONObject", other, v);
                None
            }
        }
    }

    /// An array member.
    pub fn array(&self, key: &str, v: &mut Violations) -> Option<&'a Vec<Value>> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a),
            Some(other) => {
                self.wrong_type(key, "JSONArray", other, v);
                None
            }
        }
    }

    /// The objects of an array member, each at its index.
    pub fn objects(&self, key: &str, v: &mut Violations) -> Option<Vec<Obj<'a>>> {
        let items = self.array(key, v)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = format!("{}/{i}", self.at_key(key));
            match item {
                Value::Object(m) => out.push(Obj::new(at, m)),
                other => v.push(&at, format_args!("expected type: JSONObject, found: {}", type_name(other))),
            }
        }
        Some(out)
    }
}

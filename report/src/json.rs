//! Typed reads of `summary.json` that remember where they are, so that a summary breaking the
//! schema is reported with the JSON path of the offending value (`run.seed`,
//! `portfolio_liquidity.buffer.results[3].coverage`).
//!
//! Numbers may be null (serde writes a non-finite float as null): [`Node::num`] gives `None` for
//! them and the report prints "n/a". A value of the wrong type is an error, as is a required
//! field that is absent.

use serde_json::{Map, Value};

use super::ReportError;

/// How the top level of the document is named in errors.
pub(crate) const TOP_LEVEL: &str = "(top level)";

/// A value in the summary and its path.
#[derive(Clone, Debug)]
pub(crate) struct Node<'a> {
    value: &'a Value,
    path: String,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Node<'a> {
    /// The document's top level.
    pub fn root(value: &'a Value) -> Node<'a> {
        Node {
            value,
            path: String::new(),
        }
    }

    /// The JSON path of this value.
    pub fn path(&self) -> &str {
        if self.path.is_empty() {
            TOP_LEVEL
        } else {
            &self.path
        }
    }

    /// The raw value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// An error at this value.
    pub fn error(&self, reason: impl Into<String>) -> ReportError {
        ReportError::Malformed {
            path: self.path().to_string(),
            reason: reason.into(),
        }
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn object(&self) -> Result<&'a Map<String, Value>, ReportError> {
        self.value
            .as_object()
            .ok_or_else(|| self.error(format!("expected an object, found {}", kind(self.value))))
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        self.value.is_null()
    }

    /// A field that must be present (null allowed: it is returned as a null node).
    pub fn field(&self, key: &str) -> Result<Node<'a>, ReportError> {
        let map = self.object()?;
        match map.get(key) {
            Some(value) => Ok(Node {
                value,
                path: self.child_path(key),
            }),
            None => Err(ReportError::Malformed {
                path: self.child_path(key),
                reason: "missing".into(),
            }),
        }
    }

    /// A field that must be present and not null.
    pub fn get(&self, key: &str) -> Result<Node<'a>, ReportError> {
        let node = self.field(key)?;
        if node.is_null() {
            Err(node.error("expected a value, found null"))
        } else {
            Ok(node)
        }
    }

    /// A field that may be absent or null.
    pub fn opt(&self, key: &str) -> Result<Option<Node<'a>>, ReportError> {
        let map = self.object()?;
        Ok(map.get(key).filter(|v| !v.is_null()).map(|value| Node {
            value,
            path: self.child_path(key),
        }))
    }

    /// The elements of an array.
    pub fn items(&self) -> Result<Vec<Node<'a>>, ReportError> {
        let list = self
            .value
            .as_array()
            .ok_or_else(|| self.error(format!("expected an array, found {}", kind(self.value))))?;
        Ok(list
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", self.path()),
            })
            .collect())
    }

    /// The elements of the array field `key` (required).
    pub fn list(&self, key: &str) -> Result<Vec<Node<'a>>, ReportError> {
        self.get(key)?.items()
    }

    /// This value as a number; null is `None` (printed "n/a").
    pub fn num(&self) -> Result<Option<f64>, ReportError> {
        match self.value {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(n.as_f64().filter(|x| x.is_finite())),
            other => Err(self.error(format!("expected a number, found {}", kind(other)))),
        }
    }

    /// The number field `key`: it must be present; null gives `None`.
    pub fn f(&self, key: &str) -> Result<Option<f64>, ReportError> {
        self.field(key)?.num()
    }

    /// The number field `key`, which may also be absent.
    pub fn f_opt(&self, key: &str) -> Result<Option<f64>, ReportError> {
        match self.opt(key)? {
            Some(node) => node.num(),
            None => Ok(None),
        }
    }

    /// The field `key` as an index into an array of `len` elements; absent or null gives `None`,
    /// anything but a whole number below `len` is an error.
    pub fn index_opt(&self, key: &str, len: usize) -> Result<Option<usize>, ReportError> {
        let Some(node) = self.opt(key)? else {
            return Ok(None);
        };
        match node.value.as_u64() {
            Some(i) if (i as usize) < len => Ok(Some(i as usize)),
            _ => Err(node.error(format!(
                "expected an index below {len}, found {}",
                node.value
            ))),
        }
    }

    /// The field `key` as a required index into an array of `len` elements.
    pub fn index(&self, key: &str, len: usize) -> Result<usize, ReportError> {
        self.get(key)?;
        Ok(self.index_opt(key, len)?.expect("present and not null"))
    }

    /// The array-of-numbers field `key` (required); null elements are `None`.
    pub fn nums(&self, key: &str) -> Result<Vec<Option<f64>>, ReportError> {
        self.list(key)?.iter().map(Node::num).collect()
    }

    /// This value as a string.
    pub fn as_str(&self) -> Result<&'a str, ReportError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, found {}", kind(self.value))))
    }

    /// The string field `key` (required).
    pub fn s(&self, key: &str) -> Result<&'a str, ReportError> {
        self.get(key)?.as_str()
    }

    /// The string field `key`, which may be absent or null.
    pub fn s_opt(&self, key: &str) -> Result<Option<&'a str>, ReportError> {
        match self.opt(key)? {
            Some(node) => node.as_str().map(Some),
            None => Ok(None),
        }
    }

    /// The boolean field `key` (required).
    pub fn b(&self, key: &str) -> Result<bool, ReportError> {
        let node = self.get(key)?;
        node.value
            .as_bool()
            .ok_or_else(|| node.error(format!("expected a boolean, found {}", kind(node.value))))
    }

    /// The boolean field `key`, which may be absent or null.
    pub fn b_opt(&self, key: &str) -> Result<Option<bool>, ReportError> {
        match self.opt(key)? {
            Some(node) => node.value.as_bool().map(Some).ok_or_else(|| {
                node.error(format!("expected a boolean, found {}", kind(node.value)))
            }),
            None => Ok(None),
        }
    }

    /// The keys and values of an object, in document order.
    pub fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, ReportError> {
        Ok(self
            .object()?
            .iter()
            .map(|(k, value)| {
                (
                    k.as_str(),
                    Node {
                        value,
                        path: self.child_path(k),
                    },
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_name_the_offending_value() {
        let v = json!({"a": {"b": [1, {"c": "x"}]}});
        let root = Node::root(&v);
        let c = root.get("a").unwrap().list("b").unwrap()[1].f("c");
        match c {
            Err(ReportError::Malformed { path, reason }) => {
                assert_eq!(path, "a.b[1].c");
                assert!(reason.contains("number"), "{reason}");
            }
            other => panic!("expected an error, got {other:?}"),
        }
        match root.get("a").unwrap().get("missing") {
            Err(ReportError::Malformed { path, .. }) => assert_eq!(path, "a.missing"),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn null_numbers_are_none_and_absent_optionals_too() {
        let v = json!({"x": null, "y": 2.5});
        let root = Node::root(&v);
        assert_eq!(root.f("x").unwrap(), None);
        assert_eq!(root.f("y").unwrap(), Some(2.5));
        assert_eq!(root.f_opt("z").unwrap(), None);
        assert!(root.f("z").is_err());
    }
}

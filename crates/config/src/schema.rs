//! The shape of the config (keys, docs, defaults, kinds of value), read once from its JSON schema.
//!
//! schemars derives the schema from the structs and their doc comments, so the loader's key list,
//! the "did you mean" hints and `generate-config` cannot drift from the structs.
//! Field order comes from serialising each struct's default (schemars sorts properties).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    AuthenticatorSection, Config, GroupSpec, HubSection, Profile, ProfileOverride, ProxySection,
    RoleSpec, ServiceSpec, SharedPasswordSection, SpawnerSection, UsersFileSection,
};

/// What a key holds.
#[derive(Debug)]
pub(crate) enum Shape {
    /// A string, number or boolean. `text`: taken as a raw string from the environment or a flag.
    Scalar {
        /// The value is a string (or a string enum).
        text: bool,
        /// The value is a [`crate::Secret`], which may be read from a file (`_FILE`).
        secret: bool,
    },
    /// A table with fixed keys (a struct).
    Struct(Vec<Field>),
    /// An array.
    List(Box<Shape>),
    /// A table with free keys.
    Map(Box<Shape>),
    /// Any TOML value.
    Any,
}

/// One key of a struct.
#[derive(Debug)]
pub(crate) struct Field {
    /// The key.
    pub(crate) name: String,
    /// Its doc comment.
    pub(crate) doc: String,
    /// What it holds.
    pub(crate) shape: Shape,
    /// Its default, as JSON (null when unset).
    pub(crate) default: Value,
    /// Example values, from `#[schemars(example = ...)]`.
    pub(crate) examples: Vec<Value>,
}

/// One step of a path through the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A key of a table.
    Key(String),
    /// An index in an array.
    Index(usize),
}

/// A path as people write it: `hub.services[0].name`.
pub(crate) struct DisplayPath<'a>(pub(crate) &'a [Seg]);

impl fmt::Display for DisplayPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(key) if i == 0 => f.write_str(key)?,
                Seg::Key(key) => write!(f, ".{key}")?,
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The config's shape: the fields of [`Config`].
#[derive(Debug)]
pub(crate) struct Tree {
    /// The sections.
    pub(crate) root: Vec<Field>,
}

impl Tree {
    /// The shape of [`Config`], built on first use.
    pub(crate) fn get() -> &'static Self {
        static TREE: OnceLock<Tree> = OnceLock::new();
        TREE.get_or_init(|| {
            let schema = schemars::schema_for!(Config).to_value();
            let orders = field_orders();
            let parser = Parser {
                defs: &schema["$defs"],
                orders: &orders,
            };
            match parser.shape(&schema, Some("Config")) {
                (Shape::Struct(root), _) => Self { root },
                _ => Self { root: Vec::new() },
            }
        })
    }

    /// The field at a path of struct keys, if every step names a field.
    pub(crate) fn field(&self, path: &[&str]) -> Option<&Field> {
        let (last, parents) = path.split_last()?;
        let mut fields = &self.root;
        for name in parents {
            match &fields.iter().find(|f| f.name == *name)?.shape {
                Shape::Struct(inner) => fields = inner,
                _ => return None,
            }
        }
        fields.iter().find(|f| f.name == *last)
    }

    /// Every key that takes a value (not a struct), as dotted paths, in declaration order.
    #[cfg(test)]
    pub(crate) fn leaves(&self) -> Vec<(String, &Field)> {
        let mut out = Vec::new();
        collect_leaves(&self.root, "", &mut out);
        out
    }

    /// The struct fields at a path through structs, lists and maps (`hub.services[0]`).
    pub(crate) fn fields_at(&self, path: &[Seg]) -> Option<&[Field]> {
        let mut shape_fields = &self.root;
        let mut shape: Option<&Shape> = None;
        for seg in path {
            let next = match (shape, seg) {
                (None, Seg::Key(key)) => &shape_fields.iter().find(|f| f.name == *key)?.shape,
                (Some(Shape::List(inner)), Seg::Index(_)) => inner,
                (Some(Shape::Map(inner)), Seg::Key(_)) => inner,
                _ => return None,
            };
            match next {
                Shape::Struct(fields) => {
                    shape_fields = fields;
                    shape = None;
                }
                other => shape = Some(other),
            }
        }
        shape.is_none().then_some(shape_fields.as_slice())
    }
}

#[cfg(test)]
fn collect_leaves<'a>(fields: &'a [Field], prefix: &str, out: &mut Vec<(String, &'a Field)>) {
    for field in fields {
        let path = if prefix.is_empty() {
            field.name.clone()
        } else {
            format!("{prefix}.{}", field.name)
        };
        match &field.shape {
            Shape::Struct(inner) => collect_leaves(inner, &path, out),
            _ => out.push((path, field)),
        }
    }
}

/// Walks schemars' JSON schema.
struct Parser<'a> {
    /// The schema's `$defs`.
    defs: &'a Value,
    /// Field order by type name.
    orders: &'a BTreeMap<&'static str, Vec<String>>,
}

impl Parser<'_> {
    /// The shape of a schema, and whether it admits null.
    fn shape(&self, schema: &Value, name: Option<&str>) -> (Shape, bool) {
        if let Some(reference) = schema["$ref"].as_str() {
            let def = reference.trim_start_matches("#/$defs/");
            return self.shape(&self.defs[def], Some(def));
        }
        if let Some(any_of) = schema["anyOf"].as_array() {
            let mut nullable = false;
            let mut shapes = Vec::new();
            for option in any_of {
                if option["type"] == "null" {
                    nullable = true;
                } else {
                    shapes.push(self.shape(option, None).0);
                }
            }
            let shape = match shapes.pop() {
                Some(shape) if shapes.is_empty() => shape,
                _ => Shape::Any,
            };
            return (shape, nullable);
        }
        if schema["oneOf"].is_array() || schema["enum"].is_array() || schema["const"].is_string() {
            return (
                Shape::Scalar {
                    text: true,
                    secret: false,
                },
                false,
            );
        }
        let mut types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null");
        types.retain(|t| *t != "null");
        let shape = match types.as_slice() {
            ["string"] => {
                let secret = schema["writeOnly"] == true;
                Shape::Scalar { text: true, secret }
            }
            ["integer" | "number" | "boolean"] => Shape::Scalar {
                text: false,
                secret: false,
            },
            ["array"] => Shape::List(Box::new(self.shape(&schema["items"], None).0)),
            ["object"] => match schema["properties"].as_object() {
                Some(props) => Shape::Struct(self.fields(props, name)),
                None => match &schema["additionalProperties"] {
                    Value::Object(_) => Shape::Map(Box::new(
                        self.shape(&schema["additionalProperties"], None).0,
                    )),
                    _ => Shape::Map(Box::new(Shape::Any)),
                },
            },
            _ => Shape::Any,
        };
        (shape, nullable)
    }

    /// The fields of a struct's `properties`, in declaration order.
    fn fields(&self, props: &serde_json::Map<String, Value>, name: Option<&str>) -> Vec<Field> {
        let mut fields: Vec<Field> = props
            .iter()
            .map(|(key, schema)| Field {
                name: key.clone(),
                doc: schema["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                shape: self.shape(schema, None).0,
                default: schema["default"].clone(),
                examples: schema["examples"].as_array().cloned().unwrap_or_default(),
            })
            .collect();
        if let Some(order) = name.and_then(|n| self.orders.get(n)) {
            fields.sort_by_key(|f| {
                order
                    .iter()
                    .position(|k| *k == f.name)
                    .unwrap_or(usize::MAX)
            });
        }
        fields
    }
}

/// Declaration order of every struct's fields, by type name.
pub(crate) fn field_orders() -> BTreeMap<&'static str, Vec<String>> {
    BTreeMap::from([
        ("Config", keys_of(&Config::default())),
        ("HubSection", keys_of(&HubSection::default())),
        ("GroupSpec", keys_of(&GroupSpec::default())),
        ("RoleSpec", keys_of(&RoleSpec::default())),
        ("ServiceSpec", keys_of(&ServiceSpec::default())),
        (
            "AuthenticatorSection",
            keys_of(&AuthenticatorSection::default()),
        ),
        (
            "SharedPasswordSection",
            keys_of(&SharedPasswordSection::default()),
        ),
        ("UsersFileSection", keys_of(&UsersFileSection::default())),
        ("SpawnerSection", keys_of(&SpawnerSection::default())),
        ("Profile", keys_of(&Profile::default())),
        ("ProfileOverride", keys_of(&ProfileOverride::default())),
        ("ProxySection", keys_of(&ProxySection::default())),
    ])
}

/// The keys of a value serialised as a JSON object, in the order serde writes them.
fn keys_of<T: Serialize>(value: &T) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> Deserialize<'de> for Keys {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_map(KeysVisitor)
        }
    }
    struct KeysVisitor;
    impl<'de> Visitor<'de> for KeysVisitor {
        type Value = Keys;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
            let mut keys = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(key);
            }
            Ok(Keys(keys))
        }
    }
    serde_json::to_string(value)
        .ok()
        .and_then(|json| serde_json::from_str::<Keys>(&json).ok())
        .map(|keys| keys.0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;

//! Where each key's value is in the file: the document as a tree of byte
//! ranges, read by serde beside the typed settings, so that the checks on
//! the typed settings can point at `FILE:LINE:COL`.

use core::fmt;
use core::ops::Range;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// A value of the document and where it is.
#[derive(Debug)]
pub(crate) struct Node {
    span: Range<usize>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// A string, as the file spells it after unescaping.
    Text(String),
    Leaf,
}

impl Node {
    /// Reads the spans of `text`, which must be valid TOML.
    pub fn parse(text: &str) -> Result<Node, toml::de::Error> {
        let kind: Kind = toml::from_str(text)?;
        Ok(Node {
            span: 0..text.len(),
            kind,
        })
    }

    /// The value at `path`: keys and array indices separated by dots, as
    /// `port.1.interface` (keys never hold a dot).
    pub fn get(&self, path: &str) -> Option<&Node> {
        path.split('.')
            .try_fold(self, |node, seg| match &node.kind {
                Kind::Table(entries) => entries.iter().find(|(k, _)| k == seg).map(|(_, v)| v),
                Kind::Array(items) => items.get(seg.parse::<usize>().ok()?),
                Kind::Text(_) | Kind::Leaf => None,
            })
    }

    /// The span of the value at `path`; `0..0` if it is not in the file.
    pub fn span(&self, path: &str) -> Range<usize> {
        self.get(path).map_or(0..0, |n| n.span.clone())
    }

    /// The string at `path`, as written (before any conversion).
    pub fn text(&self, path: &str) -> Option<&str> {
        match &self.get(path)?.kind {
            Kind::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the file sets `path`.
    pub fn has(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// The key of the value (or array element) that holds byte `at`.
    pub fn key_at(&self, at: usize) -> Option<&str> {
        self.find_key("", at).filter(|k| !k.is_empty())
    }

    fn find_key<'a>(&'a self, key: &'a str, at: usize) -> Option<&'a str> {
        match &self.kind {
            Kind::Table(entries) => entries.iter().find_map(|(k, n)| n.find_key(k, at)),
            Kind::Array(items) => items.iter().find_map(|n| n.find_key(key, at)),
            Kind::Text(_) | Kind::Leaf => self.span.contains(&at).then_some(key),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        let s = Spanned::<Kind>::deserialize(d)?;
        Ok(Node {
            span: s.span(),
            kind: s.into_inner(),
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

macro_rules! leaf {
    ($($f:ident: $t:ty),*) => {
        $(fn $f<E: de::Error>(self, _: $t) -> Result<Kind, E> {
            Ok(Kind::Leaf)
        })*
    };
}

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    leaf!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Text(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Kind::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            // A date-time comes as a one-entry table with a private key.
            if k.starts_with("$__toml_private") {
                map.next_value::<IgnoredAny>()?;
                return Ok(Kind::Leaf);
            }
            entries.push((k, map.next_value::<Node>()?));
        }
        Ok(Kind::Table(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::Node;

    #[test]
    fn paths_spans_and_keys() {
        let text = "[[port]]\ninterface = \"eth0\"\n\n[[port]]\ninterface = \"eth1\"\n\
                    unicast-masters = [\n  \"192.0.2.1\",\n  \"192.0.2.2\",\n]\n\
                    [clock]\nkind = \"virtual\"\nwhen = 1979-05-27\n";
        let doc = Node::parse(text).unwrap();
        let at = |path: &str| &text[doc.span(path)];
        assert_eq!(at("port.1.interface"), "\"eth1\"");
        assert_eq!(at("port.1.unicast-masters.1"), "\"192.0.2.2\"");
        assert_eq!(doc.text("port.0.interface"), Some("eth0"));
        assert_eq!(doc.text("clock.when"), None);
        assert!(doc.has("clock.kind") && !doc.has("clock.servo") && !doc.has("port.2"));
        assert_eq!(doc.span("ptp.domain"), 0..0);
        let element = text.find("\"192.0.2.2\"").unwrap();
        assert_eq!(doc.key_at(element), Some("unicast-masters"));
        assert_eq!(doc.key_at(text.find("\"virtual\"").unwrap()), Some("kind"));
        assert_eq!(doc.key_at(0), None);
    }
}

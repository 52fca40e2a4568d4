//! Typed bodies like the ones subnets send: named fields, sequences, maps, options, bytes, a
//! recursive struct and a recursive enum, so every nesting path of the decoder is reached.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A synapse request with a bit of everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// Free text.
    pub prompt: String,
    /// A sequence of integers.
    pub tokens: Vec<u32>,
    /// A map with string keys and float values.
    pub scores: BTreeMap<String, f64>,
    /// A recursive struct.
    pub tree: Tree,
    /// An optional recursive enum.
    pub expr: Option<Expr>,
    /// Raw bytes.
    #[serde(with = "serde_bytes")]
    pub blob: Vec<u8>,
}

/// A labelled tree: recursion through a struct and a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The node's label.
    pub label: String,
    /// Sub-trees.
    pub children: Vec<Tree>,
}

/// An expression: recursion through enum variants of every shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    /// A unit variant.
    Nil,
    /// A newtype variant holding a scalar.
    Lit(i64),
    /// A newtype variant holding a string.
    Var(String),
    /// A newtype variant holding itself.
    Neg(Box<Expr>),
    /// A tuple variant.
    Add(Box<Expr>, Box<Expr>),
    /// A struct variant with a sequence of itself.
    Call {
        /// Function name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
    },
}

/// One item of a streaming response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Position in the stream.
    pub index: u32,
    /// The text of this item.
    pub text: String,
    /// Optional per-token scores.
    pub logprobs: Option<Vec<f32>>,
}

/// A small valid [`Query`] with every field used, for seeds.
pub fn sample_query() -> Query {
    let leaf = |label: &str| Tree {
        label: label.into(),
        children: vec![],
    };
    Query {
        prompt: "hello".into(),
        tokens: vec![1, 2, 300, 70_000],
        scores: BTreeMap::from([("a".into(), 0.5), ("b".into(), -1.0)]),
        tree: Tree {
            label: "root".into(),
            children: vec![leaf("x"), leaf("y")],
        },
        expr: Some(Expr::Call {
            name: "f".into(),
            args: vec![
                Expr::Nil,
                Expr::Neg(Box::new(Expr::Lit(-3))),
                Expr::Add(Box::new(Expr::Var("v".into())), Box::new(Expr::Lit(2))),
            ],
        }),
        blob: vec![0, 1, 2],
    }
}

/// A small valid [`Chunk`], for seeds.
pub fn sample_chunk() -> Chunk {
    Chunk {
        index: 3,
        text: "tok".into(),
        logprobs: Some(vec![-0.25, -1.5]),
    }
}

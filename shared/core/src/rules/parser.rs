//! Recursive descent from tokens to a syntax tree that still knows where each part was
//! written, so the validator can point at it.
//!
//! Grammar, loosest first:
//! ```text
//! rule       = or
//! or         = and { "or" and }
//! and        = not { "and" not }
//! not        = "not" not | comparison
//! comparison = "(" or ")" | term [ op term ]
//! op         = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in"
//! term       = string | number | "true" | "false" | "null" | list
//!            | name "(" [ term { "," term } ] ")" | name "[" string "]" | name
//! list       = "[" [ term { "," term } [","] ] "]"
//! ```
//! Comparisons take values, not conditions, so `not a == b` can only mean `not (a == b)`.
//! The first syntax error ends parsing: what follows it is rarely meaningful.

use super::ast::CmpOp;
use super::error::{Diagnostic, line_and_column, quote};
use super::lexer::{Span, Token, TokenKind};
use super::subject::Value;

/// Deeper nesting is refused rather than risking the stack on hostile input.
pub(super) const MAX_NESTING: usize = 64;

#[derive(Debug)]
pub(super) enum Syntax {
    Or(Vec<Syntax>),
    And(Vec<Syntax>),
    Not(Box<Syntax>),
    Compare {
        left: Term,
        op: CmpOp,
        op_span: Span,
        right: Term,
    },
    Bare(Term),
}

#[derive(Debug)]
pub(super) struct Term {
    pub kind: TermKind,
    pub span: Span,
}

#[derive(Debug)]
pub(super) enum TermKind {
    /// `dotted` is the name as written; `key` is the quoted part of `traits['Company Size']`.
    Path {
        dotted: String,
        key: Option<String>,
    },
    Call {
        name: String,
        args: Vec<Term>,
    },
    Literal(Value),
    List(Vec<Term>),
}

pub(super) fn parse(source: &str, tokens: &[Token]) -> Result<Syntax, Diagnostic> {
    if tokens.is_empty() {
        return Err(Diagnostic::new(0, "the rule is empty")
            .with_hint("write a condition, e.g. `score > 50`"));
    }
    let mut parser = Parser {
        source,
        tokens,
        pos: 0,
        depth: 0,
    };
    let syntax = parser.or("a condition")?;
    match parser.peek() {
        None => Ok(syntax),
        Some(token) if token.kind == TokenKind::RParen => Err(Diagnostic::new(
            token.span.start,
            "unexpected `)` with no matching `(`",
        )),
        Some(token) => {
            let found = parser.describe(Some(token));
            let problem = Diagnostic::new(
                token.span.start,
                format!("expected `and`, `or` or the end of the rule, found {found}"),
            );
            Err(match &token.kind {
                TokenKind::Name(name) => match close_keyword(name) {
                    Some(keyword) => problem.with_hint(format!("did you mean `{keyword}`?")),
                    None => problem,
                },
                TokenKind::Eq
                | TokenKind::Ne
                | TokenKind::Lt
                | TokenKind::Le
                | TokenKind::Gt
                | TokenKind::Ge
                | TokenKind::In
                    if parser.pos > 0 && tokens[parser.pos - 1].kind == TokenKind::RParen =>
                {
                    problem.with_hint(
                        "parentheses group conditions, not values: write the comparison inside them",
                    )
                }
                _ => problem,
            })
        }
    }
}

/// `adn`, `AND.`, `oor`: likely a mistyped connective between two conditions.
fn close_keyword(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    ["and", "or"]
        .into_iter()
        .find(|keyword| strsim::damerau_levenshtein(&lower, keyword) <= 1)
}

struct Parser<'a> {
    source: &'a str,
    tokens: &'a [Token],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn peek_kind(&self) -> Option<&'a TokenKind> {
        self.peek().map(|token| &token.kind)
    }

    fn next_kind_is(&self, kind: &TokenKind) -> bool {
        self.tokens.get(self.pos + 1).map(|token| &token.kind) == Some(kind)
    }

    fn eat(&mut self, kind: &TokenKind) -> Option<Span> {
        let token = self.peek().filter(|token| &token.kind == kind)?;
        self.pos += 1;
        Some(token.span)
    }

    fn enter(&mut self, offset: usize) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Diagnostic::new(
                offset,
                format!("the rule nests deeper than {MAX_NESTING} levels"),
            )
            .with_hint("split it into segments and combine them with `segment('…')`"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn describe(&self, token: Option<&Token>) -> String {
        match token {
            None => "the end of the rule".to_owned(),
            Some(token) => quote(&self.source[token.span.start..token.span.end]),
        }
    }

    /// "expected X, found Y" at the unexpected token, or right after the last one.
    fn expected(&self, what: &str) -> Diagnostic {
        let token = self.peek();
        let offset = match token {
            Some(token) => token.span.start,
            None => self.tokens.last().map_or(0, |last| last.span.end),
        };
        Diagnostic::new(
            offset,
            format!("expected {what}, found {}", self.describe(token)),
        )
    }

    /// An opening bracket whose closing one is missing: at the end of the rule, point at
    /// the opener (that is what needs fixing); elsewhere, at what stands in the way.
    fn unclosed(&self, open: Span, closer: &str, context: &str) -> Diagnostic {
        let opener = &self.source[open.start..open.end];
        if self.peek().is_none() {
            return Diagnostic::new(open.start, format!("{} is never closed", quote(opener)))
                .with_hint(format!("add `{closer}`"));
        }
        let (line, column) = line_and_column(self.source, open.start);
        self.expected(&format!(
            "{context} or `{closer}` to close the `{opener}` at {line}:{column}"
        ))
    }

    fn or(&mut self, what: &str) -> Result<Syntax, Diagnostic> {
        let mut items = vec![self.and(what)?];
        while self.eat(&TokenKind::Or).is_some() {
            items.push(self.and("a condition after `or`")?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Syntax::Or(items)
        })
    }

    fn and(&mut self, what: &str) -> Result<Syntax, Diagnostic> {
        let mut items = vec![self.not(what)?];
        while self.eat(&TokenKind::And).is_some() {
            items.push(self.not("a condition after `and`")?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Syntax::And(items)
        })
    }

    fn not(&mut self, what: &str) -> Result<Syntax, Diagnostic> {
        let Some(span) = self.eat(&TokenKind::Not) else {
            return self.comparison(what);
        };
        self.enter(span.start)?;
        let inner = self.not("a condition after `not`")?;
        self.leave();
        Ok(Syntax::Not(Box::new(inner)))
    }

    fn comparison(&mut self, what: &str) -> Result<Syntax, Diagnostic> {
        if let Some(open) = self.eat(&TokenKind::LParen) {
            self.enter(open.start)?;
            let inner = self.or("a condition after `(`")?;
            self.leave();
            if self.eat(&TokenKind::RParen).is_none() {
                return Err(self.unclosed(open, ")", "`and`, `or`"));
            }
            return Ok(inner);
        }
        let left = self.term(what)?;
        let Some((op, op_span)) = self.comparison_operator() else {
            return Ok(Syntax::Bare(left));
        };
        let right = self.term(&format!("a value after `{}`", op.symbol()))?;
        Ok(Syntax::Compare {
            left,
            op,
            op_span,
            right,
        })
    }

    fn comparison_operator(&mut self) -> Option<(CmpOp, Span)> {
        let token = self.peek()?;
        let op = match token.kind {
            TokenKind::Eq => CmpOp::Eq,
            TokenKind::Ne => CmpOp::Ne,
            TokenKind::Lt => CmpOp::Lt,
            TokenKind::Le => CmpOp::Le,
            TokenKind::Gt => CmpOp::Gt,
            TokenKind::Ge => CmpOp::Ge,
            TokenKind::In => CmpOp::In,
            TokenKind::Not if self.next_kind_is(&TokenKind::In) => {
                self.pos += 2;
                let end = self.tokens[self.pos - 1].span.end;
                return Some((CmpOp::NotIn, Span { end, ..token.span }));
            }
            _ => return None,
        };
        self.pos += 1;
        Some((op, token.span))
    }

    fn term(&mut self, what: &str) -> Result<Term, Diagnostic> {
        let Some(token) = self.peek() else {
            return Err(self.expected(what));
        };
        let literal = match &token.kind {
            TokenKind::Str(text) => Value::String(text.clone()),
            TokenKind::Number(number) => Value::Number(*number),
            TokenKind::True => Value::Bool(true),
            TokenKind::False => Value::Bool(false),
            TokenKind::Null => Value::Null,
            TokenKind::LBracket => return self.list(),
            TokenKind::Name(name) if self.next_kind_is(&TokenKind::LParen) => {
                return self.call(name, token.span);
            }
            TokenKind::Name(name) if self.next_kind_is(&TokenKind::LBracket) => {
                return self.quoted_key(name, token.span);
            }
            TokenKind::Name(name) => {
                self.pos += 1;
                let kind = TermKind::Path {
                    dotted: name.clone(),
                    key: None,
                };
                return Ok(Term {
                    kind,
                    span: token.span,
                });
            }
            _ => return Err(self.expected(what)),
        };
        self.pos += 1;
        Ok(Term {
            kind: TermKind::Literal(literal),
            span: token.span,
        })
    }

    /// Terms separated by commas up to `closer`; the opener has been consumed.
    fn sequence(
        &mut self,
        open: Span,
        closer: TokenKind,
        item: &str,
    ) -> Result<(Vec<Term>, usize), Diagnostic> {
        let closer_text = if closer == TokenKind::RParen {
            ")"
        } else {
            "]"
        };
        self.enter(open.start)?;
        let mut items = Vec::new();
        let end = loop {
            if let Some(close) = self.eat(&closer) {
                break close.end;
            }
            items.push(self.term(item)?);
            if let Some(close) = self.eat(&closer) {
                break close.end;
            }
            if self.eat(&TokenKind::Comma).is_none() {
                return Err(self.unclosed(open, closer_text, "`,`"));
            }
        };
        self.leave();
        Ok((items, end))
    }

    fn list(&mut self) -> Result<Term, Diagnostic> {
        let open = self.tokens[self.pos].span;
        self.pos += 1;
        let (items, end) = self.sequence(open, TokenKind::RBracket, "a list item")?;
        Ok(Term {
            kind: TermKind::List(items),
            span: Span { end, ..open },
        })
    }

    fn call(&mut self, name: &str, name_span: Span) -> Result<Term, Diagnostic> {
        self.pos += 1;
        let open = self.tokens[self.pos].span;
        self.pos += 1;
        let (args, end) = self.sequence(open, TokenKind::RParen, "an argument")?;
        let kind = TermKind::Call {
            name: name.to_owned(),
            args,
        };
        Ok(Term {
            kind,
            span: Span { end, ..name_span },
        })
    }

    /// `traits['Company Size']`: the quoted form for trait names a dotted path can't spell.
    fn quoted_key(&mut self, name: &str, name_span: Span) -> Result<Term, Diagnostic> {
        self.pos += 2;
        let Some(TokenKind::Str(key)) = self.peek_kind() else {
            return Err(self
                .expected("a quoted trait name")
                .with_hint("e.g. traits['Company Size']"));
        };
        self.pos += 1;
        let Some(close) = self.eat(&TokenKind::RBracket) else {
            return Err(self.expected("`]`"));
        };
        let kind = TermKind::Path {
            dotted: name.to_owned(),
            key: Some(key.clone()),
        };
        Ok(Term {
            kind,
            span: Span {
                end: close.end,
                ..name_span
            },
        })
    }
}

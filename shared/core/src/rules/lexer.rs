//! Splits rule text into tokens, each with the byte span it came from.
//!
//! Lexical problems do not stop the scan: a person fixing a rule wants every stray
//! character and bad string at once. Runs of stray characters are reported once.

use super::error::{Diagnostic, quote};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum TokenKind {
    /// A field or function name, possibly dotted: `score`, `traits.plan`, `count`.
    Name(String),
    Str(String),
    Number(f64),
    And,
    Or,
    Not,
    In,
    True,
    False,
    Null,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

pub(super) fn tokenize(source: &str) -> Result<Vec<Token>, Vec<Diagnostic>> {
    let mut lexer = Lexer {
        source,
        pos: 0,
        tokens: Vec::new(),
        problems: Vec::new(),
    };
    lexer.run();
    if lexer.problems.is_empty() {
        Ok(lexer.tokens)
    } else {
        Err(lexer.problems)
    }
}

struct Lexer<'s> {
    source: &'s str,
    pos: usize,
    tokens: Vec<Token>,
    problems: Vec<Diagnostic>,
}

/// Characters that may continue a name. `-` is allowed because trait names contain it
/// (`traits.sign-up-source`) and the language has no arithmetic it could be confused with.
fn continues_name(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// Mirrors the arms of `Lexer::run`, so a run of stray characters ends where a token may start.
fn starts_token(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_digit()
        || c.is_alphabetic()
        || c == '_'
        || "()[],=!<>&|'\"-".contains(c)
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.source[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = Span {
            start,
            end: self.pos,
        };
        self.tokens.push(Token { kind, span });
    }

    fn problem(&mut self, offset: usize, message: impl Into<String>, hint: &str) {
        self.problems
            .push(Diagnostic::new(offset, message).with_hint(hint));
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                '(' | ')' | '[' | ']' | ',' => {
                    self.bump();
                    let kind = match c {
                        '(' => TokenKind::LParen,
                        ')' => TokenKind::RParen,
                        '[' => TokenKind::LBracket,
                        ']' => TokenKind::RBracket,
                        _ => TokenKind::Comma,
                    };
                    self.push(kind, start);
                }
                '=' | '!' | '<' | '>' => self.operator(c, start),
                '&' | '|' => {
                    self.bump_while(|next| next == c);
                    let written = &self.source[start..self.pos];
                    let hint = if c == '&' { "use `and`" } else { "use `or`" };
                    self.problem(start, format!("unexpected {}", quote(written)), hint);
                }
                '\'' | '"' => self.string(c, start),
                '-' if self.peek_second().is_some_and(|next| next.is_ascii_digit()) => {
                    self.number(start);
                }
                '-' => {
                    self.bump();
                    let hint = "a negative number is written without a space, e.g. `-5`";
                    self.problem(start, "unexpected `-`", hint);
                }
                c if c.is_ascii_digit() => self.number(start),
                c if c.is_alphabetic() || c == '_' => self.name(start),
                _ => {
                    // Consumed unconditionally so the scan always advances.
                    self.bump();
                    self.bump_while(|next| !starts_token(next));
                    let stray = &self.source[start..self.pos];
                    if stray == "." && self.peek().is_some_and(|next| next.is_ascii_digit()) {
                        let hint = "write a leading zero, e.g. `0.5`";
                        self.problem(start, "unexpected character `.`", hint);
                        continue;
                    }
                    let noun = if stray.chars().count() == 1 {
                        "character"
                    } else {
                        "characters"
                    };
                    self.problems.push(Diagnostic::new(
                        start,
                        format!("unexpected {noun} {}", quote(stray)),
                    ));
                }
            }
        }
    }

    fn operator(&mut self, first: char, start: usize) {
        self.bump();
        let followed_by_equals = self.peek() == Some('=');
        if followed_by_equals {
            self.bump();
        }
        let kind = match (first, followed_by_equals) {
            ('=', true) => TokenKind::Eq,
            ('!', true) => TokenKind::Ne,
            ('<', true) => TokenKind::Le,
            ('>', true) => TokenKind::Ge,
            ('<', false) if self.peek() == Some('>') => {
                self.bump();
                return self.problem(start, "unexpected `<>`", "use `!=`");
            }
            ('<', false) => TokenKind::Lt,
            ('>', false) => TokenKind::Gt,
            ('=', false) => return self.problem(start, "unexpected `=`", "use `==` to compare"),
            _ => return self.problem(start, "unexpected `!`", "use `not` to negate"),
        };
        self.push(kind, start);
    }

    fn number(&mut self, start: usize) {
        if self.peek() == Some('-') {
            self.bump();
        }
        self.bump_while(|c| c.is_ascii_digit());
        if self.peek() == Some('.') && self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            self.bump_while(|c| c.is_ascii_digit());
        }
        // Something like `30d` is neither a number nor a name: report it whole.
        if self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.bump_while(continues_name);
        }
        let text = &self.source[start..self.pos];
        match text.parse::<f64>() {
            Ok(number) if number.is_finite() => self.push(TokenKind::Number(number), start),
            Ok(_) => self.problem(
                start,
                format!("{} is too large", quote(text)),
                "numbers must stay below 1.8e308",
            ),
            Err(_) => self.problem(
                start,
                format!("{} is not a number", quote(text)),
                "numbers are written like `42`, `-5` or `2.5`",
            ),
        }
    }

    fn name(&mut self, start: usize) {
        self.bump_while(continues_name);
        let text = &self.source[start..self.pos];
        let keyword = [
            ("and", TokenKind::And),
            ("or", TokenKind::Or),
            ("not", TokenKind::Not),
            ("in", TokenKind::In),
            ("true", TokenKind::True),
            ("false", TokenKind::False),
            ("null", TokenKind::Null),
        ]
        .into_iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(text));
        let kind = match keyword {
            Some((_, kind)) => kind,
            None => TokenKind::Name(text.to_owned()),
        };
        self.push(kind, start);
    }

    fn string(&mut self, delimiter: char, start: usize) {
        self.bump();
        let mut text = String::new();
        let unterminated = format!("close it with `{delimiter}`");
        loop {
            let escape_start = self.pos;
            match self.bump() {
                None => return self.problem(start, "unterminated string", &unterminated),
                Some(c) if c == delimiter => break,
                Some('\\') => match self.bump() {
                    None => return self.problem(start, "unterminated string", &unterminated),
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('r') => text.push('\r'),
                    Some(c @ ('\\' | '\'' | '"')) => text.push(c),
                    Some(other) => self.problem(
                        escape_start,
                        format!("unknown escape `\\{other}`"),
                        "write `\\\\` for a backslash",
                    ),
                },
                Some(c) => text.push(c),
            }
        }
        self.push(TokenKind::Str(text), start);
    }
}

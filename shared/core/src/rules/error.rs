//! Rule errors: where a problem sits in the text a person wrote, and what to do about it.

use std::fmt;

/// A problem found by the lexer, parser or validator, known only by its byte offset.
/// It becomes a [`RuleError`] once placed on a line and column of the source.
#[derive(Debug)]
pub(super) struct Diagnostic {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub(super) fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
            hint: None,
        }
    }

    pub(super) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// One problem in a rule, positioned for a person: `line` and `column` are 1-based and
/// the column counts characters, not bytes, so it matches what an editor shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// Byte offset into the rule's source.
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// A suggestion such as "did you mean `score`?", shown after the position.
    pub hint: Option<String>,
}

impl RuleError {
    pub(super) fn locate(source: &str, diagnostic: Diagnostic) -> Self {
        let offset = char_boundary_at_or_before(source, diagnostic.offset);
        let (line, column) = line_and_column(source, offset);
        Self {
            offset,
            line,
            column,
            message: diagnostic.message,
            hint: diagnostic.hint,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}:{}", self.message, self.line, self.column)?;
        if let Some(hint) = &self.hint {
            write!(f, " — {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}

/// Every problem found in one rule, in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

/// 1-based line and character column of a byte offset that lies on a char boundary.
pub(super) fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..char_boundary_at_or_before(source, offset)];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.bytes().filter(|&byte| byte == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn char_boundary_at_or_before(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Source text in backticks for a message, shortened so that a 4 KB typo does not
/// produce a 4 KB error message.
pub(super) fn quote(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        format!("`{text}`")
    } else {
        let head: String = text.chars().take(LIMIT - 1).collect();
        format!("`{head}…`")
    }
}

//! Slack's message limits, and the check every payload passes before it is posted.
//!
//! Slack answers an oversized message with `invalid_blocks`/`invalid_payload` and drops
//! it, so checking here turns a lost alert into an error that says what was too big.

use serde_json::Value;
use thiserror::Error;

/// Most blocks one message may carry.
pub const MAX_BLOCKS: usize = 50;
/// Most characters in one text (section text, context element, fallback `text`).
pub const MAX_TEXT_CHARS: usize = 3_000;
/// Most characters in a header block's text.
pub const MAX_HEADER_CHARS: usize = 150;
/// Most characters in one section field (Slack's limit for fields is below other texts).
pub const MAX_FIELD_CHARS: usize = 2_000;
/// Most fields in one section block.
pub const MAX_FIELDS_PER_SECTION: usize = 10;
/// Most elements in one context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;

/// Why a payload would be refused by Slack.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("the payload must be a JSON object")]
    NotAnObject,
    #[error(
        "the fallback `text` is missing or empty; Slack shows it in notifications and to screen readers"
    )]
    MissingFallbackText,
    #[error("`{location}` must be an array")]
    NotAnArray { location: String },
    #[error("the message has {count} blocks; Slack allows at most {max}")]
    TooManyBlocks { count: usize, max: usize },
    #[error("`{location}` has {count} items; Slack allows at most {max}")]
    TooManyItems {
        location: String,
        count: usize,
        max: usize,
    },
    #[error("`{location}` has {chars} characters; Slack allows at most {max}")]
    TextTooLong {
        location: String,
        chars: usize,
        max: usize,
    },
}

/// Checks a webhook payload against Slack's limits.
pub fn check_limits(payload: &Value) -> Result<(), LimitError> {
    let message = payload.as_object().ok_or(LimitError::NotAnObject)?;
    let fallback = message.get("text").and_then(Value::as_str).unwrap_or("");
    if fallback.trim().is_empty() {
        return Err(LimitError::MissingFallbackText);
    }
    check_chars("text", fallback, MAX_TEXT_CHARS)?;

    let Some(blocks) = message.get("blocks") else {
        return Ok(());
    };
    let blocks = array_at("blocks", blocks)?;
    if blocks.len() > MAX_BLOCKS {
        return Err(LimitError::TooManyBlocks {
            count: blocks.len(),
            max: MAX_BLOCKS,
        });
    }
    for (index, block) in blocks.iter().enumerate() {
        check_block(&format!("blocks[{index}]"), block)?;
    }
    Ok(())
}

/// Applies the limits specific to a block's type, then the general text limit to every
/// text object inside it (so block types we do not know are still checked).
fn check_block(location: &str, block: &Value) -> Result<(), LimitError> {
    match block.get("type").and_then(Value::as_str) {
        Some("header") => {
            if let Some(text) = text_of(block.get("text")) {
                check_chars(&format!("{location}.text"), text, MAX_HEADER_CHARS)?;
            }
        }
        Some("section") => {
            if let Some(fields) = block.get("fields") {
                let at = format!("{location}.fields");
                let fields = array_at(&at, fields)?;
                check_count(&at, fields.len(), MAX_FIELDS_PER_SECTION)?;
                for (index, field) in fields.iter().enumerate() {
                    if let Some(text) = text_of(Some(field)) {
                        check_chars(&format!("{at}[{index}]"), text, MAX_FIELD_CHARS)?;
                    }
                }
            }
        }
        Some("context") => {
            if let Some(elements) = block.get("elements") {
                let at = format!("{location}.elements");
                check_count(&at, array_at(&at, elements)?.len(), MAX_CONTEXT_ELEMENTS)?;
            }
        }
        _ => {}
    }
    check_all_texts(location, block)
}

/// Walks a block and checks every text object (`{"type": "mrkdwn"|"plain_text", "text"}`).
fn check_all_texts(location: &str, value: &Value) -> Result<(), LimitError> {
    match value {
        Value::Object(object) => {
            let is_text_object = matches!(
                object.get("type").and_then(Value::as_str),
                Some("mrkdwn" | "plain_text")
            );
            for (key, child) in object {
                let at = format!("{location}.{key}");
                match child {
                    Value::String(text) if is_text_object && key == "text" => {
                        check_chars(&at, text, MAX_TEXT_CHARS)?;
                    }
                    _ => check_all_texts(&at, child)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check_all_texts(&format!("{location}[{index}]"), item)),
        _ => Ok(()),
    }
}

fn text_of(text_object: Option<&Value>) -> Option<&str> {
    text_object?.get("text")?.as_str()
}

fn array_at<'a>(location: &str, value: &'a Value) -> Result<&'a Vec<Value>, LimitError> {
    value.as_array().ok_or_else(|| LimitError::NotAnArray {
        location: location.to_owned(),
    })
}

fn check_count(location: &str, count: usize, max: usize) -> Result<(), LimitError> {
    if count > max {
        return Err(LimitError::TooManyItems {
            location: location.to_owned(),
            count,
            max,
        });
    }
    Ok(())
}

fn check_chars(location: &str, text: &str, max: usize) -> Result<(), LimitError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(LimitError::TextTooLong {
            location: location.to_owned(),
            chars,
            max,
        });
    }
    Ok(())
}

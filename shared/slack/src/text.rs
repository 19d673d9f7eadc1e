//! Text for Slack: mrkdwn escaping, links, and length clipping that never breaks markup.
//!
//! Lengths are counted in characters (Unicode scalar values), as Slack documents them.

/// Marks text that was cut short.
pub(crate) const ELLIPSIS: char = '…';

/// Escapes the three characters Slack's mrkdwn treats as control characters.
///
/// Without this, a user name like `<!channel>` would ping a whole channel and
/// `a < b` would be read as the start of a link.
pub fn escape_mrkdwn(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes raw text for mrkdwn and clips it to `max` characters.
pub(crate) fn mrkdwn(raw: &str, max: usize) -> String {
    clip_mrkdwn(&escape_mrkdwn(raw), max)
}

/// Clips plain text (no markup) to `max` characters, ending with "…" when cut.
pub(crate) fn clip_plain(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push(ELLIPSIS);
    out
}

/// Clips already-escaped mrkdwn to `max` characters, ending with "…" when cut.
///
/// Entities (`&amp;`) and angle-bracket tokens (links, `<!date…>`) are kept whole or
/// dropped whole: half an entity shows as garbage and half a link breaks the message.
pub(crate) fn clip_mrkdwn(escaped: &str, max: usize) -> String {
    if escaped.chars().count() <= max {
        return escaped.to_owned();
    }
    let budget = max.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    let mut rest = escaped;
    while let Some(token) = next_token(rest) {
        let len = token.chars().count();
        if used + len > budget {
            break;
        }
        out.push_str(token);
        used += len;
        rest = &rest[token.len()..];
    }
    out.push(ELLIPSIS);
    out
}

/// The next indivisible piece of escaped mrkdwn: an entity, an `<…>` token or one char.
fn next_token(s: &str) -> Option<&str> {
    let first = s.chars().next()?;
    let closing = match first {
        '&' => ';',
        '<' => '>',
        _ => return Some(&s[..first.len_utf8()]),
    };
    // An unmatched opener (not produced by our own escaping) is just a character.
    match s.find(closing) {
        Some(end) if first == '<' || end < "&amp;".len() => Some(&s[..=end]),
        _ => Some(&s[..1]),
    }
}

/// A mrkdwn link `<url|label>`, or `None` when the URL cannot be written safely.
///
/// URLs are never clipped (a clipped URL points somewhere else), so overlong ones are
/// left out; `max_url_chars` keeps the link small enough to share a text with others.
pub(crate) fn link(url: &str, label: &str, max_url_chars: usize) -> Option<String> {
    let url = url.trim();
    let usable = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !usable {
        return None;
    }
    // `|` separates URL from label inside a link, so it must not appear in the URL.
    let url = escape_mrkdwn(url).replace('|', "%7C");
    if url.chars().count() > max_url_chars {
        return None;
    }
    Some(format!("<{url}|{}>", escape_mrkdwn(label)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_entities_whole() {
        let clipped = mrkdwn("a&b", 4);
        assert_eq!(clipped, "a…");
    }

    #[test]
    fn clipping_keeps_links_whole() {
        let text = format!("see {}", link("https://x.test/a", "here", 100).unwrap());
        assert_eq!(clip_mrkdwn(&text, 10), "see …");
    }

    #[test]
    fn clipping_plain_text_counts_characters_not_bytes() {
        assert_eq!(clip_plain("ééééé", 3), "éé…");
        assert_eq!(clip_plain("ééé", 3), "ééé");
    }

    #[test]
    fn links_with_pipes_or_spaces_are_made_safe_or_refused() {
        assert_eq!(
            link("https://x.test/?a=1&b=2|3", "open", 100).as_deref(),
            Some("<https://x.test/?a=1&amp;b=2%7C3|open>")
        );
        assert_eq!(link("https://x.test/a b", "open", 100), None);
        assert_eq!(link("javascript:alert(1)", "open", 100), None);
    }
}

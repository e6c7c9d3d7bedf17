//! Escaping of report text for XML, HTML, Markdown and the shell: everything a broker sends is
//! hostile text, and every writer prints it only through these functions.

use std::fmt::Write as _;

/// Text for an XML 1.0 attribute value (either quote style).
///
/// Besides the five markup characters, XML 1.0 forbids most C0 controls even as character
/// references, so those are printed visibly as `\u{..}` instead of making the file unparseable.
/// Newline, carriage return and tab become character references so that attribute values keep
/// them (attribute-value normalisation would fold them into spaces).
pub fn xml(text: &str) -> String {
    xml_escape(text, true)
}

/// Text for XML character data between tags: only `&`, `<` and `>` need escaping there, so
/// quotes and line breaks stay as they are and a JSON frame stays readable in the raw file
/// (`\r` still needs a reference, or a parser would fold it into `\n`).
pub fn xml_text(text: &str) -> String {
    xml_escape(text, false)
}

fn xml_escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            // `>` only matters in `]]>`, but escaping it always is simpler to check.
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if !xml_char(c) => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML content or a double- or single-quoted attribute value.
///
/// Newlines are kept (the page shows wire text in `pre` blocks); other controls are shown
/// visibly, since a NUL or an escape byte from a broker is something a reader should see.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if !xml_char(c) || c == '\u{7f}' => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text for a Markdown paragraph or table cell: one line, no inline HTML, no emphasis.
///
/// CommonMark lets any ASCII punctuation be backslash-escaped; only the characters that start
/// markup are escaped so the source stays readable. Line breaks become spaces because a table
/// row or a list item must stay on one line.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied().unwrap_or(' ');
        // An underscore inside a word (`create_app_session`) cannot open emphasis in CommonMark,
        // so it stays unescaped and method names remain readable in the source.
        let inside_word = c == '_' && prev.is_alphanumeric() && next.is_alphanumeric();
        prev = c;
        match c {
            '_' if inside_word => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span for Markdown (ids, endpoints), safe inside a table cell.
///
/// The fence is one backtick longer than the longest run inside; `|` is escaped because GFM
/// splits table cells on it even inside code spans.
pub fn markdown_code(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let fence = "`".repeat(longest_run(&one_line, '`') + 1);
    // A span that starts or ends with a backtick needs padding, which CommonMark strips again.
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

/// A fenced Markdown code block holding `text` verbatim, ending with a newline.
///
/// The fence is longer than any backtick run in the text, so a hostile frame cannot close it.
pub fn markdown_block(text: &str) -> String {
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    let mut out = format!("{fence}text\n");
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => visible(&mut out, c),
            c => out.push(c),
        }
    }
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

/// One shell word for a POSIX shell: as is when it holds only safe characters, else single-quoted.
pub fn shell_word(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Is `c` allowed by the XML 1.0 `Char` production? (Rust strings hold no surrogates.)
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A control character as visible text, so that it is neither lost nor interpreted.
fn visible(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == ch { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "bad <script>alert('x')</script> & \"q\" ]]> \u{0}\u{1b}[31m";

    #[test]
    fn xml_escapes_markup_and_controls() {
        let e = xml(HOSTILE);
        assert_eq!(
            e,
            "bad &lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot; ]]&gt; \
             \\u{0}\\u{1b}[31m"
        );
        assert!(!e.contains('<') && !e.contains("]]>") && !e.contains('\u{0}'));
    }

    #[test]
    fn xml_keeps_line_breaks_in_attributes() {
        assert_eq!(xml("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
        assert_eq!(xml("\u{fffe}é"), "\\u{fffe}é");
        assert_eq!(
            xml_text("a\nb\tc\r&#10; \"'<]]>"),
            "a\nb\tc&#13;&amp;#10; \"'&lt;]]&gt;"
        );
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        let e = html(HOSTILE);
        assert_eq!(
            e,
            "bad &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; ]]&gt; \
             \\u{0}\\u{1b}[31m"
        );
        assert_eq!(html("a\nb"), "a\nb");
    }

    #[test]
    fn markdown_text_cannot_open_markup() {
        assert_eq!(
            markdown("<b>|*x*|</b>\nnext"),
            "\\<b\\>\\|\\*x\\*\\|\\</b\\> next"
        );
        assert_eq!(
            markdown("create_app_session _x_"),
            "create_app_session \\_x\\_"
        );
    }

    #[test]
    fn markdown_code_outlasts_backticks() {
        assert_eq!(markdown_code("a/b"), "`a/b`");
        assert_eq!(markdown_code("x``y|z"), "```x``y\\|z```");
        assert_eq!(markdown_code("`"), "`` ` ``");
        let block = markdown_block("{\"a\":\"```\"}");
        assert!(block.starts_with("````text\n"));
        assert!(block.ends_with("\n````\n"));
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_word("ws://127.0.0.1:8080/ws"),
            "ws://127.0.0.1:8080/ws"
        );
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}

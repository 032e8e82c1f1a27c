//! Splits a filter expression into tokens, each with its character offset.

use super::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    /// An attribute path or a keyword (`and`, `eq`, `true`, ...); told apart by the parser.
    Word(String),
    Str(String),
    Number(i64),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

/// Tokens with their start offsets (in characters).
pub fn tokenize(input: &str) -> Result<Vec<(usize, Token)>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | '[' | ']' => {
                out.push((
                    start,
                    match c {
                        '(' => Token::Open,
                        ')' => Token::Close,
                        '[' => Token::OpenBracket,
                        _ => Token::CloseBracket,
                    },
                ));
                i += 1;
            }
            '"' => {
                let (s, next) = string(&chars, i)?;
                out.push((start, Token::Str(s)));
                i = next;
            }
            c if c.is_ascii_digit() || c == '-' => {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text.parse::<i64>().map_err(|_| FilterError::at(start, format!("'{text}' is not a number")))?;
                out.push((start, Token::Number(n)));
            }
            c if c.is_alphabetic() || c == '_' => {
                // Paths run to the next space, bracket or quote, so metadata keys may hold any other character.
                while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '[' | ']' | '"') {
                    i += 1;
                }
                out.push((start, Token::Word(chars[start..i].iter().collect())));
            }
            other => return Err(FilterError::at(start, format!("unexpected character '{other}'"))),
        }
    }
    Ok(out)
}

/// A JSON-style string starting at `chars[start]` (a quote); returns it and the offset after it.
fn string(chars: &[char], start: usize) -> Result<(String, usize), FilterError> {
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((s, i + 1)),
            '\\' => {
                let escaped = chars.get(i + 1).ok_or_else(|| FilterError::at(i, "unfinished escape"))?;
                match escaped {
                    '"' | '\\' | '/' => s.push(*escaped),
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'u' => {
                        let hex: String = chars.get(i + 2..i + 6).map(|h| h.iter().collect()).unwrap_or_default();
                        let code = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| FilterError::at(i, "bad \\u escape"))?;
                        s.push(code);
                        i += 4;
                    }
                    other => return Err(FilterError::at(i, format!("unknown escape '\\{other}'"))),
                }
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(FilterError::at(start, "unterminated string"))
}

//! Splits a streamed bulk body into items as bytes arrive: NDJSON (one JSON document per line) or a JSON
//! array. Only the current item is buffered, so bodies of any length import in constant memory.

/// Largest single item, in bytes.
pub const MAX_ITEM_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Ndjson,
    JsonArray,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    BeforeArray,
    ItemOrEnd,
    /// Inside an item: nesting depth, whether in a string, whether the last byte was a backslash.
    Item {
        depth: u32,
        in_string: bool,
        escape: bool,
    },
    CommaOrEnd,
    /// After `]` straight after a comma (`[{},]`) or at the end.
    Done,
}

pub struct ItemSplitter {
    framing: Framing,
    buf: Vec<u8>,
    state: State,
    after_comma: bool,
}

impl ItemSplitter {
    pub fn new(framing: Framing) -> Self {
        Self { framing, buf: Vec::new(), state: State::BeforeArray, after_comma: false }
    }

    /// Feeds bytes; complete items are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), FramingError> {
        match self.framing {
            Framing::Ndjson => self.push_lines(chunk, out),
            Framing::JsonArray => chunk.iter().try_for_each(|&b| self.push_array_byte(b, out)),
        }
    }

    /// Ends the input; a final unterminated line is an item, an unclosed array is an error.
    pub fn finish(mut self, out: &mut Vec<Vec<u8>>) -> Result<(), FramingError> {
        match self.framing {
            Framing::Ndjson => {
                let rest = std::mem::take(&mut self.buf);
                push_line(&rest, out);
                Ok(())
            }
            Framing::JsonArray => match self.state {
                State::Done => Ok(()),
                State::BeforeArray => Err(FramingError("the body is empty; expected a JSON array".into())),
                _ => Err(FramingError("the JSON array is not closed".into())),
            },
        }
    }

    fn push_lines(&mut self, chunk: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), FramingError> {
        let mut start = 0;
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'\n' {
                if self.buf.is_empty() {
                    push_line(&chunk[start..i], out);
                } else {
                    self.buf.extend_from_slice(&chunk[start..i]);
                    let line = std::mem::take(&mut self.buf);
                    push_line(&line, out);
                }
                start = i + 1;
            }
        }
        self.buf.extend_from_slice(&chunk[start..]);
        if self.buf.len() > MAX_ITEM_BYTES {
            return Err(FramingError(format!("a line is longer than {MAX_ITEM_BYTES} bytes")));
        }
        Ok(())
    }

    fn push_array_byte(&mut self, b: u8, out: &mut Vec<Vec<u8>>) -> Result<(), FramingError> {
        let ws = b.is_ascii_whitespace();
        self.state = match self.state {
            State::BeforeArray if ws => State::BeforeArray,
            State::BeforeArray if b == b'[' => State::ItemOrEnd,
            State::BeforeArray => return Err(FramingError("expected a JSON array or NDJSON".into())),
            State::ItemOrEnd if ws => State::ItemOrEnd,
            State::ItemOrEnd if b == b']' && !self.after_comma => State::Done,
            State::ItemOrEnd if b == b']' || b == b',' => return Err(FramingError("expected an item".into())),
            State::ItemOrEnd => {
                self.after_comma = false;
                self.buf.clear();
                self.buf.push(b);
                match b {
                    b'{' | b'[' => State::Item { depth: 1, in_string: false, escape: false },
                    b'"' => State::Item { depth: 0, in_string: true, escape: false },
                    _ => State::Item { depth: 0, in_string: false, escape: false },
                }
            }
            State::Item { depth, in_string: true, escape } => {
                self.buf.push(b);
                match (escape, b) {
                    (true, _) => State::Item { depth, in_string: true, escape: false },
                    (false, b'\\') => State::Item { depth, in_string: true, escape: true },
                    (false, b'"') if depth == 0 => self.end_item(out),
                    (false, b'"') => State::Item { depth, in_string: false, escape: false },
                    _ => State::Item { depth, in_string: true, escape: false },
                }
            }
            State::Item { depth: 0, .. } if ws || b == b',' || b == b']' => {
                // A bare scalar item ended; let the byte be read as what follows the item.
                self.state = self.end_item(out);
                return self.push_array_byte(b, out);
            }
            State::Item { depth, .. } => {
                self.buf.push(b);
                match b {
                    b'"' => State::Item { depth, in_string: true, escape: false },
                    b'{' | b'[' => State::Item { depth: depth + 1, in_string: false, escape: false },
                    b'}' | b']' if depth == 1 => self.end_item(out),
                    b'}' | b']' => State::Item { depth: depth.saturating_sub(1), in_string: false, escape: false },
                    _ => State::Item { depth, in_string: false, escape: false },
                }
            }
            State::CommaOrEnd if ws => State::CommaOrEnd,
            State::CommaOrEnd if b == b',' => {
                self.after_comma = true;
                State::ItemOrEnd
            }
            State::CommaOrEnd if b == b']' => State::Done,
            State::CommaOrEnd => return Err(FramingError("expected ',' or ']' after an item".into())),
            State::Done if ws => State::Done,
            State::Done => return Err(FramingError("unexpected data after the JSON array".into())),
        };
        if self.buf.len() > MAX_ITEM_BYTES {
            return Err(FramingError(format!("an item is longer than {MAX_ITEM_BYTES} bytes")));
        }
        Ok(())
    }

    fn end_item(&mut self, out: &mut Vec<Vec<u8>>) -> State {
        out.push(std::mem::take(&mut self.buf));
        State::CommaOrEnd
    }
}

fn push_line(line: &[u8], out: &mut Vec<Vec<u8>>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.iter().all(u8::is_ascii_whitespace) {
        out.push(line.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(framing: Framing, chunks: &[&str]) -> Result<Vec<String>, FramingError> {
        let mut s = ItemSplitter::new(framing);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c.as_bytes(), &mut out)?;
        }
        s.finish(&mut out)?;
        Ok(out.into_iter().map(|b| String::from_utf8(b).unwrap()).collect())
    }

    #[test]
    fn ndjson_lines_split_across_chunks() {
        let items = split(Framing::Ndjson, &["{\"a\":1}\n{\"b\"", ":2}\r\n\n  \n{\"c\":3}"]).unwrap();
        assert_eq!(items, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }

    #[test]
    fn array_items_split_across_chunks_with_nested_brackets_in_strings() {
        let items =
            split(Framing::JsonArray, &[" [ {\"a\":\"x]}\\\"\"", ", \"k\": [1, {\"b\": 2}]} ,", "{} ] "]).unwrap();
        assert_eq!(items, ["{\"a\":\"x]}\\\"\", \"k\": [1, {\"b\": 2}]}", "{}"]);
        assert_eq!(split(Framing::JsonArray, &["[]"]).unwrap(), Vec::<String>::new());
        assert_eq!(split(Framing::JsonArray, &["[1, \"s\"]"]).unwrap(), ["1", "\"s\""]);
    }

    #[test]
    fn broken_arrays_are_errors() {
        for bad in ["", "{}", "[{}", "[{},]", "[,{}]", "[{} {}]", "[{}] x"] {
            assert!(split(Framing::JsonArray, &[bad]).is_err(), "{bad:?}");
        }
    }
}

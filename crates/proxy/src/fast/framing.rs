//! Where a response body ends, found without changing its bytes: the fast lane passes a target's
//! framing (`Content-Length`, chunked, or until the connection closes) through as it is.

/// The longest chunk-size or trailer line accepted (extensions included).
const MAX_LINE: usize = 4096;

/// How a response body is delimited.
#[derive(Debug)]
pub(crate) enum Framing {
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked(ChunkedEnd),
    /// Neither: the body ends when the target closes the connection.
    UntilClose,
}

/// A target's chunked body is malformed.
#[derive(Debug, thiserror::Error)]
#[error("malformed chunked body from the target")]
pub(crate) struct ChunkError;

impl Framing {
    /// A body of no bytes at all.
    pub(crate) fn empty() -> Self {
        Self::Length(0)
    }

    /// Whether the body has ended.
    pub(crate) fn is_done(&self) -> bool {
        match self {
            Self::Length(left) => *left == 0,
            Self::Chunked(chunked) => matches!(chunked.state, State::Done),
            Self::UntilClose => false,
        }
    }

    /// How many of `bytes` belong to the body; fewer than all only when the body ends inside them.
    pub(crate) fn take(&mut self, bytes: &[u8]) -> Result<usize, ChunkError> {
        match self {
            Self::Length(left) => {
                let n = usize::try_from(*left).map_or(bytes.len(), |left| left.min(bytes.len()));
                *left -= n as u64;
                Ok(n)
            }
            Self::Chunked(chunked) => chunked.scan(bytes),
            Self::UntilClose => Ok(bytes.len()),
        }
    }
}

#[derive(Debug)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// Inside a chunk's data: this many bytes are left.
    Data(u64),
    /// After a chunk's data: this many bytes of its CRLF are left.
    DataEnd(u8),
    /// After the last chunk: reading trailer lines until an empty one.
    Trailers,
    Done,
}

/// Follows a chunked body's framing to find its end.
#[derive(Debug)]
pub(crate) struct ChunkedEnd {
    state: State,
    /// The current size or trailer line so far, up to its `\n`.
    line: Vec<u8>,
}

impl Default for ChunkedEnd {
    fn default() -> Self {
        Self {
            state: State::Size,
            line: Vec::new(),
        }
    }
}

impl ChunkedEnd {
    /// Consumes `bytes` up to the end of the body; returns how many belong to it.
    fn scan(&mut self, bytes: &[u8]) -> Result<usize, ChunkError> {
        let mut at = 0;
        while at < bytes.len() {
            match &mut self.state {
                State::Done => break,
                State::Data(left) => {
                    let n = usize::try_from(*left)
                        .map_or(bytes.len() - at, |left| left.min(bytes.len() - at));
                    *left -= n as u64;
                    at += n;
                    if *left == 0 {
                        self.state = State::DataEnd(2);
                    }
                }
                State::DataEnd(left) => {
                    let expected = if *left == 2 { b'\r' } else { b'\n' };
                    if bytes[at] != expected {
                        return Err(ChunkError);
                    }
                    at += 1;
                    *left -= 1;
                    if *left == 0 {
                        self.state = State::Size;
                    }
                }
                State::Size | State::Trailers => {
                    let rest = &bytes[at..];
                    let (piece, complete) = match rest.iter().position(|&b| b == b'\n') {
                        Some(newline) => (&rest[..=newline], true),
                        None => (rest, false),
                    };
                    if self.line.len() + piece.len() > MAX_LINE {
                        return Err(ChunkError);
                    }
                    self.line.extend_from_slice(piece);
                    at += piece.len();
                    if complete {
                        self.end_line()?;
                    }
                }
            }
        }
        Ok(at)
    }

    /// A size or trailer line is complete in `self.line`.
    fn end_line(&mut self) -> Result<(), ChunkError> {
        match self.state {
            State::Size => match httparse::parse_chunk_size(&self.line) {
                Ok(httparse::Status::Complete((_, 0))) => self.state = State::Trailers,
                Ok(httparse::Status::Complete((_, size))) => self.state = State::Data(size),
                _ => return Err(ChunkError),
            },
            State::Trailers => {
                if self.line == b"\r\n" || self.line == b"\n" {
                    self.state = State::Done;
                }
            }
            State::Data(_) | State::DataEnd(_) | State::Done => {}
        }
        self.line.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `body` in pieces of `step` bytes; returns the bytes taken and whether it ended.
    fn feed(body: &[u8], step: usize) -> Result<(usize, bool), ChunkError> {
        let mut framing = Framing::Chunked(ChunkedEnd::default());
        let mut taken = 0;
        for piece in body.chunks(step) {
            let n = framing.take(piece)?;
            taken += n;
            if framing.is_done() {
                break;
            }
        }
        Ok((taken, framing.is_done()))
    }

    #[test]
    fn chunked_ends_are_found_in_any_split() {
        let cases: &[(&[u8], usize)] = &[
            (b"5\r\nhello\r\n0\r\n\r\n", 15),
            (b"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", 15),
            (b"3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", 41),
            (b"1\r\na\r\n0\r\nX-Trailer: 1\r\n\r\n", 25),
            (b"0\r\n\r\n", 5),
        ];
        for (body, end) in cases {
            for step in [1, 2, 3, 7, body.len()] {
                assert_eq!(
                    feed(body, step).unwrap(),
                    (*end, true),
                    "{body:?} by {step}"
                );
            }
        }
    }

    #[test]
    fn unfinished_chunked_bodies_wait_for_more() {
        for body in [&b"5\r\nhel"[..], b"5\r\nhello\r\n", b"0\r\nX: 1\r\n"] {
            assert_eq!(feed(body, 1).unwrap(), (body.len(), false), "{body:?}");
        }
    }

    #[test]
    fn malformed_chunked_bodies_are_errors() {
        for body in [&b"zz\r\n"[..], b"5\r\nhelloXX", b"ffffffffffffffffffff\r\n"] {
            assert!(feed(body, 4).is_err(), "{body:?}");
        }
        let long_line = [b'1'; MAX_LINE + 1];
        assert!(feed(&long_line, 100).is_err());
    }

    #[test]
    fn lengths_stop_at_the_end() {
        let mut framing = Framing::Length(5);
        assert_eq!(framing.take(b"abc").unwrap(), 3);
        assert!(!framing.is_done());
        assert_eq!(framing.take(b"defgh").unwrap(), 2);
        assert!(framing.is_done());
        assert!(Framing::empty().is_done());
        assert!(!Framing::UntilClose.is_done());
    }
}

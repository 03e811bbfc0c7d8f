//! Splits one line of IR text into tokens. The format is line-based, so a token never spans
//! lines and every error has a line and a column (counted in characters, from 1).

use super::ParseError;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tok<'a> {
    /// `%name`: a value.
    Local(&'a str),
    /// `@name`: a symbol, or `@resume` in a snapshot.
    Global(&'a str),
    /// An op, keyword, type or snapshot name: a letter or `_`, then letters, digits, `_`, `.`.
    Word(&'a str),
    /// A digit, then letters, digits, `_` and `.` (and a sign after a decimal exponent);
    /// the parser decides what it means in context.
    Num(&'a str),
    Punct(char),
    /// The end of the line (or the start of a comment).
    Eol,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub col: u32,
}

impl Tok<'_> {
    /// How an error message shows what it found.
    pub fn describe(&self) -> String {
        match self {
            Tok::Local(s) => format!("`%{s}`"),
            Tok::Global(s) => format!("`@{s}`"),
            Tok::Word(s) | Tok::Num(s) => format!("`{s}`"),
            Tok::Punct(c) => format!("`{c}`"),
            Tok::Eol => "end of line".to_string(),
        }
    }
}

/// Characters allowed in `%` and `@` names.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Tokenizes `text` (one line without its newline). The last token is always `Eol`.
pub(crate) fn lex_line(text: &str, line: u32) -> Result<Vec<Token<'_>>, ParseError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |j: usize| chars.get(j).map_or(text.len(), |&(b, _)| b);
    let char_at = |j: usize| chars.get(j).map(|&(_, c)| c);
    let mut toks = Vec::new();
    let mut end_col = 1u32;
    let mut j = 0usize;
    while let Some(c) = char_at(j) {
        if c == ';' {
            break;
        }
        if c.is_whitespace() {
            j += 1;
            continue;
        }
        let start = j;
        let col = to_u32(j + 1);
        let tok = match c {
            '%' | '@' => {
                j += 1;
                while char_at(j).is_some_and(is_name_char) {
                    j += 1;
                }
                if j == start + 1 {
                    let found = char_at(j).map_or("end of line".to_string(), |c| format!("`{c}`"));
                    return Err(ParseError {
                        line,
                        col: to_u32(j + 1),
                        message: format!("expected a name after `{c}`, found {found}"),
                    });
                }
                let name = text.get(byte_at(start + 1)..byte_at(j)).unwrap_or("");
                if c == '%' {
                    Tok::Local(name)
                } else {
                    Tok::Global(name)
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while char_at(j).is_some_and(is_word_char) {
                    j += 1;
                }
                Tok::Word(text.get(byte_at(start)..byte_at(j)).unwrap_or(""))
            }
            c if c.is_ascii_digit() => {
                let hex = matches!(char_at(j + 1), Some('x' | 'X')) && c == '0';
                let exponent_sign = |d: char, j: usize| {
                    (d == '+' || d == '-') && !hex && matches!(char_at(j.wrapping_sub(1)), Some('e' | 'E'))
                };
                while char_at(j).is_some_and(|d| is_word_char(d) || exponent_sign(d, j)) {
                    j += 1;
                }
                Tok::Num(text.get(byte_at(start)..byte_at(j)).unwrap_or(""))
            }
            '=' | ',' | ':' | '(' | ')' | '{' | '}' | '[' | ']' | '+' | '-' | '>' => {
                j += 1;
                Tok::Punct(c)
            }
            _ => {
                return Err(ParseError {
                    line,
                    col,
                    message: format!("unexpected character `{}`", c.escape_debug()),
                })
            }
        };
        toks.push(Token { tok, col });
        end_col = to_u32(j + 1);
    }
    toks.push(Token { tok: Tok::Eol, col: end_col });
    Ok(toks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok<'_>> {
        lex_line(s, 1).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn splits_names_words_numbers_and_punctuation() {
        assert_eq!(
            kinds("%x = load.f64 imm [%p - 4] ; c"),
            vec![
                Tok::Local("x"),
                Tok::Punct('='),
                Tok::Word("load.f64"),
                Tok::Word("imm"),
                Tok::Punct('['),
                Tok::Local("p"),
                Tok::Punct('-'),
                Tok::Num("4"),
                Tok::Punct(']'),
                Tok::Eol
            ]
        );
        assert_eq!(
            kinds("1.5e-7 0x1e+2"),
            vec![Tok::Num("1.5e-7"), Tok::Num("0x1e"), Tok::Punct('+'), Tok::Num("2"), Tok::Eol]
        );
    }

    #[test]
    fn reports_columns_in_characters() {
        let e = lex_line("é %", 4).unwrap_err();
        assert_eq!((e.line, e.col), (4, 1));
        let e = lex_line("  % x", 2).unwrap_err();
        assert_eq!((e.line, e.col), (2, 4));
        assert_eq!(lex_line("ab  ", 1).unwrap()[1].col, 3);
    }
}

//! C's binary operators as the two expression readers see them: the
//! hook reader (`c_ast`) and the preprocessor's `#if` (`cpp`) share one
//! precedence table, so `#if A ^ B` and `a ^ b` in a hook bind alike.
//!
//! The lexer gives one-character punctuation, so a two-character
//! operator is two adjacent tokens (`&` `&` with no space between).

use crate::edit::lex::Token;

/// Binary operators by precedence, lowest first (C11 6.5.5-6.5.14).
const LEVELS: [&[&str]; 10] = [
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<=", ">=", "<", ">"],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

/// How many precedence levels there are: past the last come unary
/// expressions.
pub const LEVEL_COUNT: usize = LEVELS.len();

/// Two-character operators whose first character is also an operator
/// of its own: `&` must not be read out of `&&`.
const TWO_CHARACTER: [&str; 11] = ["||", "&&", "==", "!=", "<=", ">=", "<<", ">>", "->", "++", "--"];

fn text_at(t: &[Token], i: usize) -> &str {
    t.get(i).map_or("", |t| t.text.as_str())
}

/// Whether the tokens at `i` spell the two-character `op`, adjacent.
pub fn op2_at(t: &[Token], i: usize, op: &str) -> bool {
    let b = op.as_bytes();
    text_at(t, i).as_bytes() == &b[..1]
        && text_at(t, i + 1).as_bytes() == &b[1..]
        && t.get(i + 1).is_some_and(|t| !t.spaced)
}

/// The binary operator of precedence `level` at `i`, if one starts there
/// (`a & b`, not `a && b` nor `a &= b`).
pub fn binary_at(t: &[Token], i: usize, level: usize) -> Option<&'static str> {
    LEVELS[level].iter().copied().find(|op| {
        if op.len() == 2 {
            op2_at(t, i, op)
        } else {
            let assigns = text_at(t, i + 1) == "=" && t.get(i + 1).is_some_and(|t| !t.spaced);
            text_at(t, i) == *op && !TWO_CHARACTER.iter().any(|two| op2_at(t, i, two)) && !assigns
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::lex::tokens;

    #[test]
    fn one_character_operators_are_not_read_out_of_longer_ones() {
        let at = |src: &str, level| binary_at(&tokens(src.as_bytes()), 0, level);
        let and = 4;
        assert_eq!(at("& b", and), Some("&"));
        assert_eq!(at("&& b", and), None);
        assert_eq!(at("&= b", and), None);
        assert_eq!(at("&& b", 1), Some("&&"));
        assert_eq!(at("& & b", 1), None, "two `&` apart are not `&&`");
        assert_eq!(at("^ b", 3), Some("^"));
        assert_eq!(at("-> b", 8), None);
    }
}

//! Every kind of parse error, with its line, column and message.

use trace_ir::text::parse;

/// Parses `src` and returns the error as `line:col: message`.
fn err(src: &str) -> String {
    match parse(src) {
        Ok(t) => panic!("parsed, but should not have: {src}\n{t:?}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "%a = input 0 : i64\n%b = input 1 : i64\n";

fn body(lines: &str) -> String {
    format!("{HEAD}{lines}\nsnap0 @resume(0) {{}}\nexit snap0\n")
}

#[test]
fn missing_punctuation_says_what_was_expected_and_found() {
    assert_eq!(err(&body("%x = add %a ]")), "3:13: expected `,` after the first operand, found `]`");
    assert_eq!(err(&body("%x = add %a")), "3:12: expected `,` after the first operand, found end of line");
    assert_eq!(err(&body("%x add %a, %b")), "3:4: expected `=` after `%x`, found `add`");
    assert_eq!(
        err(&body("%x = add %a, 5")),
        "3:14: expected a value like `%x` as the second operand of `add`, found `5`"
    );
    assert_eq!(err(&body("%x = add %a, %b, %b")), "3:16: expected end of line, found `,`");
    assert_eq!(err(&body("%x =")), "3:5: expected an operation after `%x =`, found end of line");
}

#[test]
fn unterminated_brackets() {
    assert_eq!(
        err("%a = input 0 : i64\nloop (%i = %a\njump (%i)"),
        "2:14: expected `,` or `)` to close the `(` at column 6, found end of line"
    );
    assert_eq!(
        err(&body("%x = load.i64 [%a + 8")),
        "3:22: expected `]` to close the `[` at column 15, found end of line"
    );
    assert_eq!(
        err(&body("%x = load.i64 [%a")),
        "3:18: expected `+`, `-` or `]` to close the `[` at column 15, found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 @resume(1) {{ 0: %a\nexit snap0")),
        "3:25: expected `,` or `}` to close the `{` at column 18, found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 @resume(1 {{}}\nexit snap0")),
        "3:17: expected `)` after the resume value, found `{`"
    );
    assert_eq!(
        err(&body("%r = call.i64 @f(%a, %b")),
        "3:24: expected `,` or `)` to close the `(` at column 17, found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}jump (%a")),
        "3:9: expected `,` or `)` to close the `(` at column 6, found end of line"
    );
}

#[test]
fn undefined_names_and_redefinitions() {
    assert_eq!(err(&body("%x = add %a, %nope")), "3:14: undefined value `%nope`");
    assert_eq!(err(&body("%a = add %a, %b")), "3:1: `%a` is already defined on line 1");
    assert_eq!(
        err(&body("%k = const 1 : i64\n%k = const 1 : i64")),
        "4:1: `%k` is already defined on line 3"
    );
    assert_eq!(
        err(&format!("{HEAD}loop (%i = %a, %i = %b)\njump (%i, %i)")),
        "3:16: `%i` is already defined on line 3"
    );
    assert_eq!(err(&format!("{HEAD}loop (%a = %b)\njump (%a)")), "3:7: `%a` is already defined on line 1");
    // A loop parameter is not in scope of the initial values.
    assert_eq!(err(&format!("{HEAD}loop (%i = %a, %j = %i)\njump (%i, %j)")), "3:21: undefined value `%i`");
    // Names are defined in text order.
    assert_eq!(err(&body("%x = add %a, %y\n%y = add %a, %a")), "3:14: undefined value `%y`");
    assert_eq!(err(&body("%r = call.i64 %fp(%a)")), "3:15: undefined value `%fp`");
}

#[test]
fn snapshot_numbering() {
    assert_eq!(
        err(&format!("{HEAD}guard %a, snap0\nsnap0 @resume(0) {{}}\nexit snap0")),
        "3:11: undefined snapshot `snap0` (a snapshot is written before its first use)"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 {{}}\nsnap0 {{}}\nexit snap0")),
        "4:1: `snap0` is already defined on line 3"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 {{}}\nsnap2 {{}}\nexit snap0")),
        "4:1: `snap2` skips `snap1`: snapshots are numbered from 0 without gaps"
    );
    assert_eq!(
        err(&format!("{HEAD}snap1 {{}}\nexit snap1")),
        "3:1: `snap1` skips `snap0`: snapshots are numbered from 0 without gaps"
    );
    assert_eq!(
        err(&format!("{HEAD}snap00 {{}}\nexit snap00")),
        "3:1: `snap00`: snapshot numbers have no leading zeros"
    );
    assert_eq!(
        err(&format!("{HEAD}snap4294967296 {{}}\nexit snap0")),
        "3:1: snapshot number in `snap4294967296` is out of range"
    );
    assert_eq!(err(&format!("{HEAD}snap0 {{}}\nexit snap99999999999999999999999999999999999999999")), "4:6: undefined snapshot `snap99999999999999999999999999999999999999999` (a snapshot is written before its first use)");
    assert_eq!(
        err(&format!("{HEAD}snap0 {{}}\nexit %a")),
        "4:6: expected a snapshot like `snap0` after `exit`, found `%a`"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 {{ x: %a }}\nexit snap0")),
        "3:9: expected a slot number in the snapshot, found `x`"
    );
}

#[test]
fn unknown_ops_and_bad_types() {
    assert_eq!(err(&body("%x = frob %a")), "3:6: unknown operation `frob`");
    assert_eq!(err(&body("frob %a")), "3:1: unknown instruction `frob`");
    assert_eq!(err(&body("add %a, %b")), "3:1: `add` defines a value: write `%name = add ...`");
    assert_eq!(err(&body("%x = store.i64 [%a], %b")), "3:6: `store.i64` does not define a value");
    assert_eq!(err(&body("%x = zext.i7 %a")), "3:11: unknown type `i7`");
    assert_eq!(err(&body("%x = zext %a")), "3:6: `zext` needs a result type, as in `zext.i64`");
    assert_eq!(err(&body("%x = icmp.lt %a, %b")), "3:11: unknown `icmp` condition `lt`");
    assert_eq!(err(&body("%x = fcmp %a, %b")), "3:6: `fcmp` needs a condition, as in `fcmp.eq`");
    assert_eq!(err("%a = input 0 : u8\nsnap0 {}\nexit snap0"), "1:16: unknown type `u8`");
    assert_eq!(
        err("%a = input 0 : 64\nsnap0 {}\nexit snap0"),
        "1:16: expected a type like `i64` after `:`, found `64`"
    );
    assert_eq!(err(&body("%x = load.void [%a]")), "3:11: unknown type `void`");
    assert_eq!(err(&body("store.i32 [%a], %b")), "3:17: `store.i32` stores an i32, but the value is an i64");
    assert_eq!(err(&body("store [%a], %b")), "3:1: `store` needs the stored type, as in `store.i64`");
    assert_eq!(err(&body("%r = call.void @f()")), "3:6: a `call.void` has no result: drop the `%name =`");
    assert_eq!(
        err(&body("call.i64 @f()")),
        "3:1: a call returning i64 needs a result: write `%name = call.i64 ...`"
    );
    assert_eq!(err(&body("call.x @f()")), "3:6: unknown type `x`");
    assert_eq!(
        err(&body("%r = call.i64 f()")),
        "3:15: expected a callee like `@name` or `%fnptr`, found `f`"
    );
}

#[test]
fn numbers_out_of_range() {
    assert_eq!(
        err("%a = input 4294967296 : i64\nsnap0 {}\nexit snap0"),
        "1:12: slot `4294967296` is out of range (at most 4294967295)"
    );
    assert_eq!(
        err("%k = const 256 : i8\nsnap0 {}\nexit snap0"),
        "1:12: `256` is out of range for i8 (-128 to 255)"
    );
    assert_eq!(
        err("%k = const -129 : i8\nsnap0 {}\nexit snap0"),
        "1:13: `-129` is out of range for i8 (-128 to 255)"
    );
    assert_eq!(err("%k = const 2 : i1\nsnap0 {}\nexit snap0"), "1:12: `2` is out of range for i1 (-1 to 1)");
    assert_eq!(
        err("%k = const 0x10000000000000000 : i64\nsnap0 {}\nexit snap0"),
        "1:12: `0x10000000000000000` is out of range for i64 (-9223372036854775808 to 18446744073709551615)"
    );
    assert_eq!(err("%k = const 999999999999999999999999999999999999999999999 : i64\nsnap0 {}\nexit snap0"), "1:12: `999999999999999999999999999999999999999999999` is out of range for i64 (-9223372036854775808 to 18446744073709551615)");
    assert_eq!(
        err("%k = const 1.5 : i64\nsnap0 {}\nexit snap0"),
        "1:12: expected an integer for an i64 constant, found `1.5`"
    );
    assert_eq!(
        err("%k = const inf : i32\nsnap0 {}\nexit snap0"),
        "1:12: expected an integer for an i32 constant, found `inf`"
    );
    assert_eq!(
        err("%k = const 1.5x : f64\nsnap0 {}\nexit snap0"),
        "1:12: expected an f64 constant (decimal, `inf`, `nan` or `0x` bits), found `1.5x`"
    );
    assert_eq!(
        err("%k = const -0x1 : f64\nsnap0 {}\nexit snap0"),
        "1:13: a float given by its `0x` bits has no sign"
    );
    assert_eq!(
        err("%k = const 0x1ffffffffffffffff : f64\nsnap0 {}\nexit snap0"),
        "1:12: `0x1ffffffffffffffff` is out of range for 64 bits"
    );
    assert_eq!(
        err(&body("%x = load.i64 [%a + 2147483648]")),
        "3:21: displacement `2147483648` is out of range for i32"
    );
    assert_eq!(
        err(&body("%x = load.i64 [%a - 2147483649]")),
        "3:21: displacement `-2147483649` is out of range for i32"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 @resume(18446744073709551616) {{}}\nexit snap0")),
        "3:15: resume value `18446744073709551616` is out of range for u64"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 {{ 4294967296: %a }}\nexit snap0")),
        "3:9: slot `4294967296` is out of range (at most 4294967295)"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 {{}}\nlink 4294967296, snap0")),
        "4:6: trace number `4294967296` is out of range (at most 4294967295)"
    );
    assert_eq!(
        err(&format!("{HEAD}snap0 {{}}\nlink 0x, snap0")),
        "4:6: expected a trace number after `link`, found `0x`"
    );
}

#[test]
fn structure_errors() {
    assert_eq!(err(HEAD), "3:1: expected a terminator (`jump`, `exit` or `link`), found end of input");
    assert_eq!(err(""), "1:1: expected a terminator (`jump`, `exit` or `link`), found end of input");
    assert_eq!(
        err(&format!("{HEAD}snap0 {{}}\nexit snap0\n%c = add %a, %b")),
        "5:1: nothing may follow the terminator, found `%c`"
    );
    assert_eq!(
        err(&format!("{HEAD}trace late\nsnap0 {{}}\nexit snap0")),
        "3:1: `trace NAME` may only be the first line"
    );
    assert_eq!(
        err("trace\nsnap0 {}\nexit snap0"),
        "1:6: expected a trace name after `trace`, found end of line"
    );
    assert_eq!(
        err(&format!("{HEAD}loop ()\nloop ()\njump ()")),
        "4:1: a trace has at most one loop; it started on line 3"
    );
    assert_eq!(err(&format!("{HEAD}= 5")), "3:1: expected an instruction, found `=`");
}

#[test]
fn lexical_errors() {
    assert_eq!(err("%a = input 0 : i64 # x\nexit snap0"), "1:20: unexpected character `#`");
    assert_eq!(err("% = input 0 : i64\nexit snap0"), "1:2: expected a name after `%`, found ` `");
    assert_eq!(err(&body("%r = call.i64 @(%a)")), "3:16: expected a name after `@`, found `(`");
    // Columns count characters, not bytes.
    assert_eq!(err("; é\n%é = input 0 : i64"), "2:2: expected a name after `%`, found `é`");
    assert_eq!(err("\u{feff}trace x"), "1:1: unexpected character `\\u{feff}`");
}

#[test]
fn comments_and_blank_lines_are_ignored_and_line_numbers_count_them() {
    assert_eq!(
        err("; one\n\n   \n%a = input 0 : i64 ; two\n%b = add %a, %zz"),
        "5:14: undefined value `%zz`"
    );
    assert_eq!(
        err("%a = input 0 : i64\r\n%b = add %a,\r\n"),
        "2:13: expected a value like `%x` as the second operand of `add`, found end of line"
    );
}

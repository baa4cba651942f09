//===- Lexer.h - Tokens of a model file -------------------------*- C++ -*-===//
//
// Splits a model file into tokens. The lexer never reports anything itself: a
// malformed token becomes a Token of Kind::Error that carries its message, and
// the parser reports it when it reaches it, so that diagnostics come out in
// source order and only the first one is printed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_LEXER_H
#define KILN_FRONTEND_LEXER_H

#include "AST.h"
#include "Diagnostics.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

struct Token {
  enum class Kind {
    Ident,    // h1, relu, model, f32 (keywords are identifiers to the lexer)
    Number,   // 256, -1, 0.1, 1e-3
    String,   // "text"
    LParen,   // (
    RParen,   // )
    LBracket, // [
    RBracket, // ]
    Comma,    // ,
    Colon,    // :
    Equal,    // =
    LBrace,   // {
    RBrace,   // }
    Dot,      // . (in dotted hyperparameter names: dropout0.rate)
    Percent,  // % (a schedule argument's unit: warmup = 5%)
    Eof,
    Error, // a malformed token; `message` says why
  };

  Kind kind = Kind::Eof;
  ast::SourceLoc loc;
  /// The token as written (for a string, with its quotes); empty at Eof.
  std::string_view text;
  /// String: the contents with escapes resolved. Error: the diagnostic.
  std::string value;
  /// Number: its value, and whether it was written without '.', 'e' or 'E'.
  double number = 0;
  bool isInteger = false;
  /// Number written as an integer: its exact value.
  int64_t integer = 0;

  bool is(Kind k) const { return kind == k; }
  bool isIdent(std::string_view word) const {
    return kind == Kind::Ident && text == word;
  }
};

/// How a token is named in "found ..." parts of diagnostics: `'relu'`, or
/// `end of file`. Long tokens are shortened.
std::string describeToken(const Token &token);

/// Quotes `text` for a diagnostic: `'text'`, shortened when very long.
std::string quote(std::string_view text);

class Lexer {
public:
  explicit Lexer(const SourceFile &file) : text_(file.text()) {}

  /// Returns the next token. After Eof, keeps returning Eof. An Error token
  /// is returned once; what follows it is not meaningful.
  Token next();

private:
  void skipSpaceAndComments();
  ast::SourceLoc locAt(size_t offset) const;
  Token make(Token::Kind kind, size_t begin, size_t end) const;
  Token error(size_t offset, std::string message) const;
  Token lexIdent();
  Token lexNumber();
  Token lexString();

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t lineStart_ = 0;
  /// Where the last real token ended; Eof is reported there, right after the
  /// text that needed a continuation, rather than on a blank last line.
  ast::SourceLoc lastEnd_{1, 1};
};

} // namespace kiln

#endif // KILN_FRONTEND_LEXER_H

//===- Lexer.cpp - Tokens of a model file ---------------------------------===//

#include "Lexer.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace kiln {

namespace {

constexpr size_t kMaxQuoted = 40;

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }
bool isPrintable(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte >= 0x20 && byte < 0x7f;
}

std::string hexByte(char c) {
  static const char digits[] = "0123456789ABCDEF";
  auto byte = static_cast<unsigned char>(c);
  std::string result = "0x";
  result += digits[byte >> 4];
  result += digits[byte & 0xf];
  return result;
}

/// `'c'` for a printable character, `byte 0xNN` otherwise.
std::string describeChar(char c) {
  if (isPrintable(c))
    return "character '" + std::string(1, c) + "'";
  return "byte " + hexByte(c);
}

/// What the byte at `text[i]` starts: a non-ASCII character by code point
/// and bytes (never the raw bytes), or the byte itself.
std::string describeCharAt(std::string_view text, size_t i) {
  uint32_t codePoint = 0;
  size_t length = decodeUtf8(text, i, codePoint);
  if (length < 2)
    return describeChar(text[i]);
  static const char digits[] = "0123456789ABCDEF";
  std::string code = "U+";
  for (int shift = codePoint > 0xfffff ? 20 : codePoint > 0xffff ? 16 : 12; shift >= 0; shift -= 4)
    code += digits[(codePoint >> shift) & 0xf];
  std::string bytes;
  for (size_t k = 0; k < length; ++k)
    bytes += (k ? " " : "") + hexByte(text[i + k]);
  if (codePoint == 0xfeff)
    return "byte-order mark " + code + " (bytes " + bytes +
           "), which only the start of the file may hold";
  return "non-ASCII character " + code + " (bytes " + bytes +
         "); only comments may hold non-ASCII text";
}

uint32_t clampTo32(size_t value) {
  if (value > std::numeric_limits<uint32_t>::max())
    return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(value);
}

} // namespace

std::string quote(std::string_view text) {
  if (text.size() <= kMaxQuoted)
    return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMaxQuoted)) + "...'";
}

std::string describeToken(const Token &token) {
  if (token.is(Token::Kind::Eof))
    return "end of file";
  return quote(token.text);
}

ast::SourceLoc Lexer::locAt(size_t offset) const {
  return {line_, clampTo32(offset - lineStart_ + 1)};
}

Token Lexer::make(Token::Kind kind, size_t begin, size_t end) const {
  Token token;
  token.kind = kind;
  token.loc = locAt(begin);
  token.text = text_.substr(begin, end - begin);
  return token;
}

Token Lexer::error(size_t offset, std::string message) const {
  Token token;
  token.kind = Token::Kind::Error;
  token.loc = locAt(offset);
  token.text = text_.substr(offset, offset < text_.size() ? 1 : 0);
  token.value = std::move(message);
  return token;
}

void Lexer::skipSpaceAndComments() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '\n') {
      ++pos_;
      if (line_ < std::numeric_limits<uint32_t>::max())
        ++line_;
      lineStart_ = pos_;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
      continue;
    }
    if (c != '#')
      return;
    // A comment runs to the end of the line; any bytes may appear in it.
    while (pos_ < text_.size() && text_[pos_] != '\n')
      ++pos_;
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  if (pos_ >= text_.size()) {
    Token eof;
    eof.kind = Token::Kind::Eof;
    eof.loc = lastEnd_;
    return eof;
  }

  Token token;
  char c = text_[pos_];
  if (isIdentStart(c)) {
    token = lexIdent();
  } else if (isDigit(c) || c == '-') {
    token = lexNumber();
  } else if (c == '"') {
    token = lexString();
  } else {
    Token::Kind kind = Token::Kind::Error;
    switch (c) {
    case '(': kind = Token::Kind::LParen; break;
    case ')': kind = Token::Kind::RParen; break;
    case '[': kind = Token::Kind::LBracket; break;
    case ']': kind = Token::Kind::RBracket; break;
    case ',': kind = Token::Kind::Comma; break;
    case ':': kind = Token::Kind::Colon; break;
    case '=': kind = Token::Kind::Equal; break;
    case '{': kind = Token::Kind::LBrace; break;
    case '}': kind = Token::Kind::RBrace; break;
    case '%':
      kind = Token::Kind::Percent;
      break;
    default: break;
    }
    if (kind == Token::Kind::Error && c == '.' &&
        !(pos_ + 1 < text_.size() && isDigit(text_[pos_ + 1])))
      kind = Token::Kind::Dot;
    if (kind != Token::Kind::Error) {
      token = make(kind, pos_, pos_ + 1);
      ++pos_;
    } else if (c == '.') {
      size_t end = pos_ + 1;
      while (end < text_.size() && isDigit(text_[end]))
        ++end;
      std::string_view digits = text_.substr(pos_ + 1, end - pos_ - 1);
      token = error(pos_, "a number must start with a digit: write " +
                              quote("0." + std::string(digits)) + ", not " +
                              quote("." + std::string(digits)));
    } else if (c == '\'') {
      token = error(pos_, "unexpected character \"'\" (strings use double quotes)");
    } else {
      token = error(pos_, "unexpected " + describeCharAt(text_, pos_));
    }
  }

  if (!token.is(Token::Kind::Error))
    lastEnd_ = locAt(pos_);
  else
    pos_ = text_.size(); // Nothing after a malformed token is read.
  return token;
}

Token Lexer::lexIdent() {
  size_t begin = pos_;
  while (pos_ < text_.size() && isIdentChar(text_[pos_]))
    ++pos_;
  return make(Token::Kind::Ident, begin, pos_);
}

Token Lexer::lexNumber() {
  // NUMBER := '-'? digits ('.' digits)? ([eE] [+-]? digits)?
  size_t begin = pos_;
  size_t end = pos_;
  auto spelledSoFar = [&] { return text_.substr(begin, end - begin); };
  auto skipDigits = [&] {
    while (end < text_.size() && isDigit(text_[end]))
      ++end;
  };

  if (text_[end] == '-') {
    ++end;
    if (end >= text_.size() || !isDigit(text_[end]))
      return error(begin, "'-' must be directly followed by a digit");
  }
  skipDigits();

  bool isInteger = true;
  if (end < text_.size() && text_[end] == '.') {
    isInteger = false;
    ++end;
    if (end >= text_.size() || !isDigit(text_[end]))
      return error(end - 1, "expected a digit after '.' in number " +
                                quote(spelledSoFar()));
    skipDigits();
  }
  // A unit may follow without a space, as on the trainer's command line:
  // `3epochs` is the number 3 and the word epochs.
  bool unitFollows = text_.substr(end, 5) == "epoch";
  if (!unitFollows && end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
    isInteger = false;
    ++end;
    if (end < text_.size() && (text_[end] == '+' || text_[end] == '-'))
      ++end;
    if (end >= text_.size() || !isDigit(text_[end]))
      return error(begin, "expected a digit in the exponent of number " +
                              quote(spelledSoFar()));
    skipDigits();
  }
  if (!unitFollows && end < text_.size() && (isIdentChar(text_[end]) || text_[end] == '.'))
    return error(end, "unexpected " + describeChar(text_[end]) +
                          " after number " + quote(spelledSoFar()));

  std::string_view spelling = spelledSoFar();
  const char *first = spelling.data();
  const char *last = first + spelling.size();
  Token token = make(Token::Kind::Number, begin, end);
  token.isInteger = isInteger;
  if (isInteger) {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last)
      return error(begin, "integer " + quote(spelling) + " does not fit in 64 bits");
    token.integer = value;
    token.number = static_cast<double>(value);
  } else {
    double value = 0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last)
      return error(begin, "number " + quote(spelling) +
                              " is out of the range of a 64-bit float");
    token.number = value;
  }
  pos_ = end;
  return token;
}

Token Lexer::lexString() {
  // STRING := '"' ... '"' on one line, with \" and \\ as the only escapes.
  size_t begin = pos_;
  size_t end = pos_ + 1;
  std::string contents;
  while (true) {
    if (end >= text_.size() || text_[end] == '\n' ||
        text_.substr(end, 2) == "\r\n")
      return error(begin, "unterminated string");
    char c = text_[end];
    if (c == '"')
      break;
    if (c == '\\') {
      char escaped = end + 1 < text_.size() ? text_[end + 1] : '\n';
      if (escaped == '\n' || text_.substr(end + 1, 2) == "\r\n")
        return error(begin, "unterminated string");
      if (escaped != '"' && escaped != '\\') {
        if (!isPrintable(escaped))
          return error(end + 1, "unexpected byte " + hexByte(escaped) + " in string");
        return error(end, "unknown escape sequence '\\" + std::string(1, escaped) +
                              "' in string (only \\\" and \\\\ are allowed)");
      }
      contents += escaped;
      end += 2;
      continue;
    }
    if (!isPrintable(c) && c != '\t')
      return error(end, "unexpected byte " + hexByte(c) + " in string");
    contents += c;
    ++end;
  }
  ++end; // the closing quote
  Token token = make(Token::Kind::String, begin, end);
  token.value = std::move(contents);
  pos_ = end;
  return token;
}

} // namespace kiln

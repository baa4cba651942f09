//===- Parser.cpp - Recursive-descent parser for model files --------------===//
//
//   file      := 'model' IDENT stmt* EOF
//   stmt      := ('input' | 'label') IDENT ':' type
//              | IDENT '=' expr
//              | 'optimizer' call
//              | 'regularizer' call
//              | 'clip' call
//              | 'schedule' call
//              | 'tune' '{' (name '=' call)* '}'
//   name      := IDENT ('.' IDENT)*
//   type      := ('f32' | 'i32') '[' dim (',' dim)* ']'
//   dim       := INT | IDENT
//   expr      := call | IDENT | NUMBER | STRING
//   call      := IDENT '(' [arg (',' arg)*] ')'
//   arg       := IDENT '=' expr | expr
//              | IDENT '=' NUMBER ('epochs' | 'epoch' | '%')   (schedule only)
//
// The parser stops at the first error. It keeps one token of lookahead beyond
// the current one, which is enough to tell `kw = value` from a positional
// argument. Recursion happens only through nested calls, and their depth is
// bounded by kMaxCallDepth.
//
//===----------------------------------------------------------------------===//

#include "Parser.h"

#include "Lexer.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

namespace {

using Kind = Token::Kind;

/// Calls nested deeper than this are rejected, which bounds the parser's
/// recursion (and that of everything that walks the tree later).
constexpr unsigned kMaxCallDepth = 64;

/// A statement `KEYWORD call` and where its result goes: into `single` when
/// the statement may appear at most once, into `repeated` (in source order)
/// when it may repeat. Exactly one of the two is set.
struct DirectiveRule {
  std::string_view keyword;
  std::optional<ast::DirectiveDecl> ast::Model::*single;
  std::vector<ast::DirectiveDecl> ast::Model::*repeated;
  std::string_view expected; // completes "expected ... after 'KEYWORD'"
};

constexpr DirectiveRule kDirectives[] = {
    {"optimizer", &ast::Model::optimizer, nullptr, "an optimizer call such as sgd(lr = 0.1)"},
    {"regularizer", nullptr, &ast::Model::regularizers, "a regularizer call such as l2(1e-4)"},
    {"clip", &ast::Model::clip, nullptr, "a clipping call such as global_norm(max_norm = 1.0)"},
    {"schedule", &ast::Model::schedule, nullptr, "a schedule call such as cosine(period = 1000)"},
};

/// Words that cannot name a model, an input, a label or a binding: these and
/// the keywords of kDirectives.
constexpr std::array<std::string_view, 6> kReservedWords = {"model", "input", "label",
                                                            "f32",   "i32",   "tune"};

bool isReserved(std::string_view word) {
  for (std::string_view reserved : kReservedWords)
    if (word == reserved)
      return true;
  for (const DirectiveRule &rule : kDirectives)
    if (word == rule.keyword)
      return true;
  return false;
}

/// "expected a statement (input, label, optimizer, ... or 'name = expr')".
std::string expectedStatement() {
  std::string message = "expected a statement (input, label";
  for (const DirectiveRule &rule : kDirectives)
    message += ", " + std::string(rule.keyword);
  return message + ", tune or 'name = expr')";
}

std::string formatLoc(ast::SourceLoc loc) {
  return std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

class Parser {
public:
  Parser(const SourceFile &file, DiagnosticEngine &diags) : lexer_(file), diags_(diags) {
    tok_ = lexer_.next();
    peek_ = lexer_.next();
  }

  std::optional<ast::Model> parseFile();

private:
  void advance() {
    tok_ = std::move(peek_);
    peek_ = lexer_.next();
  }

  /// Reports "<expected>, found <token>" at `token`, or the lexer's message
  /// when `token` is malformed. Always returns false.
  bool fail(const Token &token, const std::string &expected) {
    if (token.is(Kind::Error)) {
      diags_.error(token.loc, token.value);
      return false;
    }
    diags_.error(token.loc, expected + ", found " + describeToken(token));
    return false;
  }
  bool fail(const std::string &expected) { return fail(tok_, expected); }

  bool errorAt(ast::SourceLoc loc, const std::string &message) {
    diags_.error(loc, message);
    return false;
  }

  /// Rejects a reserved word used as a declared name.
  bool checkNotReserved(const Token &name) {
    if (!isReserved(name.text))
      return true;
    return errorAt(name.loc, quote(name.text) +
                                 " is a reserved word and cannot be used as a name");
  }

  bool parseStatement(ast::Model &model);
  bool parseInputDecl(ast::Model &model);
  bool parseTensorType(const std::string &declName, ast::TensorType &type);
  bool parseDim(ast::Dim &dim);
  bool parseBinding(ast::Model &model);
  bool parseDirective(ast::Model &model, const DirectiveRule &rule);
  bool parseTune(ast::Model &model);
  std::unique_ptr<ast::Expr> parseExpr(const std::string &expected, unsigned depth);
  std::unique_ptr<ast::Expr> parseCall(unsigned depth);
  bool parseArg(ast::Expr &call, const std::string &expected, unsigned depth);

  bool parseUnit(ast::Expr &number);

  Lexer lexer_;
  DiagnosticEngine &diags_;
  /// Whether numbers may carry a unit: inside the schedule statement.
  bool unitsAllowed_ = false;
  Token tok_;
  Token peek_;
};

std::optional<ast::Model> Parser::parseFile() {
  ast::Model model;
  if (!tok_.isIdent("model")) {
    fail("expected 'model' declaration at the start of the file");
    return std::nullopt;
  }
  advance();
  if (!tok_.is(Kind::Ident)) {
    fail("expected a model name after 'model'");
    return std::nullopt;
  }
  if (!checkNotReserved(tok_))
    return std::nullopt;
  model.name = std::string(tok_.text);
  model.loc = tok_.loc;
  advance();

  while (!tok_.is(Kind::Eof))
    if (!parseStatement(model))
      return std::nullopt;
  return model;
}

bool Parser::parseStatement(ast::Model &model) {
  if (!tok_.is(Kind::Ident))
    return fail(expectedStatement());
  if (tok_.isIdent("input") || tok_.isIdent("label"))
    return parseInputDecl(model);
  for (const DirectiveRule &rule : kDirectives)
    if (tok_.isIdent(rule.keyword))
      return parseDirective(model, rule);
  if (tok_.isIdent("tune") && !peek_.is(Kind::Equal))
    return parseTune(model);
  if (tok_.isIdent("model") && !peek_.is(Kind::Equal)) {
    errorAt(tok_.loc, "duplicate model declaration");
    diags_.note(model.loc, "model " + quote(model.name) + " declared here");
    return false;
  }
  return parseBinding(model);
}

bool Parser::parseInputDecl(ast::Model &model) {
  // ('input' | 'label') IDENT ':' type
  Token keyword = tok_;
  advance();
  if (tok_.is(Kind::Equal))
    return checkNotReserved(keyword);
  if (!tok_.is(Kind::Ident))
    return fail("expected a name after " + quote(keyword.text));
  if (!checkNotReserved(tok_))
    return false;

  ast::InputDecl decl;
  decl.name = std::string(tok_.text);
  decl.loc = tok_.loc;
  decl.isLabel = keyword.isIdent("label");
  advance();
  if (!tok_.is(Kind::Colon))
    return fail("expected ':' after " + quote(decl.name));
  advance();
  if (!parseTensorType(decl.name, decl.type))
    return false;
  model.inputs.push_back(std::move(decl));
  return true;
}

bool Parser::parseTensorType(const std::string &declName, ast::TensorType &type) {
  // ('f32' | 'i32') '[' dim (',' dim)* ']'
  if (!tok_.is(Kind::Ident))
    return fail("expected a tensor type such as f32[batch, 784]");
  if (tok_.isIdent("f32")) {
    type.element = ast::ElementType::F32;
  } else if (tok_.isIdent("i32")) {
    type.element = ast::ElementType::I32;
  } else {
    return errorAt(tok_.loc, "unknown element type " + quote(tok_.text) +
                                 ", expected 'f32' or 'i32'");
  }
  type.loc = tok_.loc;
  std::string element(tok_.text);
  advance();

  if (!tok_.is(Kind::LBracket))
    return fail("expected '[' after " + quote(element));
  ast::SourceLoc open = tok_.loc;
  advance();
  while (true) {
    ast::Dim dim;
    if (!parseDim(dim))
      return false;
    type.dims.push_back(std::move(dim));
    if (tok_.is(Kind::RBracket)) {
      advance();
      return true;
    }
    if (tok_.is(Kind::Comma)) {
      advance();
      continue;
    }
    if (tok_.is(Kind::Eof))
      return fail("expected ']' to close the dimensions of " + quote(declName) +
                  " opened at " + formatLoc(open));
    return fail("expected ',' or ']' after a dimension of " + quote(declName));
  }
}

bool Parser::parseDim(ast::Dim &dim) {
  // INT | IDENT, the integer positive
  dim.loc = tok_.loc;
  if (tok_.is(Kind::Ident)) {
    dim.symbol = std::string(tok_.text);
    advance();
    return true;
  }
  if (!tok_.is(Kind::Number))
    return fail("expected a dimension (a positive integer or a name)");
  if (!tok_.isInteger || tok_.integer <= 0)
    return errorAt(tok_.loc, "a dimension must be a positive integer or a name, found " +
                                 quote(tok_.text));
  dim.size = tok_.integer;
  advance();
  return true;
}

bool Parser::parseBinding(ast::Model &model) {
  // IDENT '=' expr
  if (!checkNotReserved(tok_))
    return false;
  ast::Binding binding;
  binding.name = std::string(tok_.text);
  binding.loc = tok_.loc;
  advance();
  if (!tok_.is(Kind::Equal))
    return fail("expected '=' after " + quote(binding.name));
  advance();
  binding.value = parseExpr("expected an expression after '='", 0);
  if (!binding.value)
    return false;
  model.bindings.push_back(std::move(binding));
  return true;
}

bool Parser::parseDirective(ast::Model &model, const DirectiveRule &rule) {
  // KEYWORD call, with the current token the keyword
  Token keyword = tok_;
  if (peek_.is(Kind::Equal))
    return checkNotReserved(keyword);
  std::string word(rule.keyword);
  if (rule.single && model.*rule.single) {
    errorAt(keyword.loc, "duplicate " + word + " declaration");
    diags_.note((model.*rule.single)->loc, "first " + word + " declared here");
    return false;
  }
  advance();
  if (!tok_.is(Kind::Ident))
    return fail("expected " + std::string(rule.expected) + " after " + quote(word));
  if (!peek_.is(Kind::LParen))
    return fail(peek_, "expected '(' after " + quote(tok_.text));

  ast::DirectiveDecl decl;
  decl.loc = keyword.loc;
  unitsAllowed_ = word == "schedule";
  decl.call = parseCall(0);
  unitsAllowed_ = false;
  if (!decl.call)
    return false;
  if (rule.repeated)
    (model.*rule.repeated).push_back(std::move(decl));
  else
    model.*rule.single = std::move(decl);
  return true;
}

bool Parser::parseTune(ast::Model &model) {
  // 'tune' '{' (name '=' call)* '}', with the current token 'tune'
  Token keyword = tok_;
  if (model.tuneLoc.line != 0) {
    errorAt(keyword.loc, "duplicate tune block");
    diags_.note(model.tuneLoc, "first tune block here");
    return false;
  }
  model.tuneLoc = keyword.loc;
  advance();
  if (!tok_.is(Kind::LBrace))
    return fail("expected '{' after 'tune'");
  ast::SourceLoc open = tok_.loc;
  advance();
  while (!tok_.is(Kind::RBrace)) {
    if (tok_.is(Kind::Eof))
      return fail("expected '}' to close the tune block opened at " + formatLoc(open));
    if (!tok_.is(Kind::Ident))
      return fail("expected a hyperparameter name or '}' in the tune block");
    ast::TuneEntry entry;
    entry.loc = tok_.loc;
    entry.name = std::string(tok_.text);
    advance();
    while (tok_.is(Kind::Dot)) {
      advance();
      if (!tok_.is(Kind::Ident))
        return fail("expected a name after '.' in " + quote(entry.name + "."));
      entry.name += "." + std::string(tok_.text);
      advance();
    }
    if (!tok_.is(Kind::Equal))
      return fail("expected '=' after " + quote(entry.name));
    advance();
    if (!tok_.is(Kind::Ident) || !peek_.is(Kind::LParen))
      return fail("expected a range such as log_uniform(1e-4, 0.1) for " + quote(entry.name));
    entry.range = parseCall(0);
    if (!entry.range)
      return false;
    model.tune.push_back(std::move(entry));
  }
  advance();
  return true;
}

std::unique_ptr<ast::Expr> Parser::parseExpr(const std::string &expected, unsigned depth) {
  // call | IDENT | NUMBER | STRING
  if (tok_.is(Kind::Ident) && peek_.is(Kind::LParen))
    return parseCall(depth);

  auto expr = std::make_unique<ast::Expr>();
  expr->loc = tok_.loc;
  switch (tok_.kind) {
  case Kind::Ident:
    expr->kind = ast::Expr::Kind::Name;
    expr->name = std::string(tok_.text);
    break;
  case Kind::Number:
    expr->kind = ast::Expr::Kind::Number;
    expr->number = tok_.number;
    expr->isInteger = tok_.isInteger;
    expr->spelling = std::string(tok_.text);
    break;
  case Kind::String:
    expr->kind = ast::Expr::Kind::String;
    expr->name = tok_.value;
    break;
  default:
    fail(expected);
    return nullptr;
  }
  advance();
  return expr;
}

std::unique_ptr<ast::Expr> Parser::parseCall(unsigned depth) {
  // IDENT '(' [arg (',' arg)*] ')', with the current token the callee and
  // the next one '('.
  if (depth >= kMaxCallDepth) {
    errorAt(tok_.loc, "expression nested too deeply (more than " +
                          std::to_string(kMaxCallDepth) + " nested calls)");
    return nullptr;
  }
  auto call = std::make_unique<ast::Expr>();
  call->kind = ast::Expr::Kind::Call;
  call->loc = tok_.loc;
  call->name = std::string(tok_.text);
  advance();
  ast::SourceLoc open = tok_.loc;
  advance();

  std::string callee = quote(call->name);
  std::string unclosed =
      "expected ')' to close the call to " + callee + " opened at " + formatLoc(open);
  // Arguments until ')': the first needs no comma before it.
  for (bool first = true;; first = false) {
    if (tok_.is(Kind::RParen)) {
      advance();
      return call;
    }
    if (tok_.is(Kind::Eof)) {
      fail(unclosed);
      return nullptr;
    }
    std::string expected = "expected an argument or ')' in the call to " + callee;
    if (!first) {
      if (!tok_.is(Kind::Comma)) {
        fail("expected ',' or ')' after an argument of " + callee);
        return nullptr;
      }
      advance();
      expected = "expected an argument after ',' in the call to " + callee;
    }
    if (!parseArg(*call, expected, depth))
      return nullptr;
  }
}

bool Parser::parseArg(ast::Expr &call, const std::string &expected, unsigned depth) {
  // IDENT '=' expr | expr
  ast::Arg arg;
  arg.loc = tok_.loc;
  if (tok_.is(Kind::Ident) && peek_.is(Kind::Equal)) {
    arg.keyword = std::string(tok_.text);
    advance();
    advance();
    arg.value = parseExpr("expected a value for " + quote(arg.keyword), depth + 1);
  } else {
    arg.value = parseExpr(expected, depth + 1);
  }
  if (!arg.value)
    return false;
  if (arg.value->kind == ast::Expr::Kind::Number && !parseUnit(*arg.value))
    return false;
  call.args.push_back(std::move(arg));
  return true;
}

bool Parser::parseUnit(ast::Expr &number) {
  // NUMBER ('epochs' | 'epoch' | '%'), with the current token after the number
  bool percent = tok_.is(Kind::Percent);
  if (!percent && !tok_.isIdent("epochs") && !tok_.isIdent("epoch")) {
    if (!unitsAllowed_ || !tok_.is(Kind::Ident))
      return true;
    const std::string &n = number.spelling;
    return errorAt(tok_.loc, "unknown unit " + quote(tok_.text) + " after " + quote(n) +
                                 ": a count is in updates (" + n + "), epochs (" + n +
                                 " epochs) or a percentage of the run (" + n + "%)");
  }
  if (!unitsAllowed_)
    return errorAt(tok_.loc, "unit " + quote(tok_.text) + " after " + quote(number.spelling) +
                                 ": only a schedule's step_size, period and warmup take a "
                                 "unit (epochs or %)");
  number.unit = percent ? "run" : "epochs";
  number.spelling += percent ? "%" : " epochs";
  if (percent)
    number.number /= 100;
  advance();
  return true;
}

} // namespace

std::optional<ast::Model> parseModel(const SourceFile &file, DiagnosticEngine &diags) {
  Parser parser(file, diags);
  return parser.parseFile();
}

} // namespace kiln

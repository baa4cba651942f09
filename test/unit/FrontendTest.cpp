//===- FrontendTest.cpp - Lexer, parser, diagnostics, AST printer ---------===//

#include "Frontend/AST.h"
#include "Frontend/Diagnostics.h"
#include "Frontend/Lexer.h"
#include "Frontend/Parser.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace kiln;

namespace {

const char *const kExample = R"(model mnist_mlp

input  x : f32[batch, 784]
label  y : i32[batch]

h1     = relu(dense(x, 256))
h2     = relu(dense(h1, 128))
logits = dense(h2, 10)
loss   = softmax_cross_entropy(logits, y)

optimizer sgd(lr = 0.1)
)";

struct ParseResult {
  std::optional<ast::Model> model;
  std::string diagnostics;
  unsigned errors = 0;
};

ParseResult parse(const std::string &text) {
  SourceFile file("m.kiln", text);
  std::ostringstream os;
  DiagnosticEngine diags(file, os);
  ParseResult result;
  result.model = parseModel(file, diags);
  result.diagnostics = os.str();
  result.errors = diags.errorCount();
  return result;
}

/// Parses `text`, which must fail, and returns everything that was printed.
std::string errorOf(const std::string &text) {
  ParseResult result = parse(text);
  EXPECT_FALSE(result.model.has_value()) << "parsed without error:\n" << text;
  EXPECT_EQ(result.errors, 1u) << result.diagnostics;
  return result.diagnostics;
}

std::string printed(const std::string &text) {
  ParseResult result = parse(text);
  EXPECT_TRUE(result.model.has_value()) << result.diagnostics;
  EXPECT_EQ(result.diagnostics, "");
  if (!result.model)
    return "";
  std::ostringstream os;
  ast::printModel(*result.model, os);
  return os.str();
}

/// Tokens up to Eof or the first Error, with the file their text points into.
struct Lexed {
  std::unique_ptr<SourceFile> file;
  std::vector<Token> tokens;
};

Lexed lexAll(const std::string &text) {
  Lexed lexed;
  lexed.file = std::make_unique<SourceFile>("m.kiln", text);
  Lexer lexer(*lexed.file);
  while (true) {
    lexed.tokens.push_back(lexer.next());
    if (lexed.tokens.back().is(Token::Kind::Eof) || lexed.tokens.back().is(Token::Kind::Error))
      break;
  }
  return lexed;
}

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

TEST(Lexer, TokenKindsAndLocations) {
  Lexed lexed = lexAll("h1 = f(x, [1]) : \"s\"\n  k");
  const std::vector<Token> &tokens = lexed.tokens;
  using K = Token::Kind;
  std::vector<K> kinds;
  for (const Token &token : tokens)
    kinds.push_back(token.kind);
  std::vector<K> expected = {K::Ident,    K::Equal,  K::Ident,    K::LParen, K::Ident,
                             K::Comma,    K::LBracket, K::Number, K::RBracket, K::RParen,
                             K::Colon,    K::String, K::Ident,    K::Eof};
  EXPECT_EQ(kinds, expected);
  EXPECT_EQ(tokens[0].text, "h1");
  EXPECT_EQ(tokens[0].loc.line, 1u);
  EXPECT_EQ(tokens[0].loc.col, 1u);
  EXPECT_EQ(tokens[2].loc.col, 6u);
  EXPECT_EQ(tokens[11].text, "\"s\"");
  EXPECT_EQ(tokens[11].value, "s");
  EXPECT_EQ(tokens[12].loc.line, 2u);
  EXPECT_EQ(tokens[12].loc.col, 3u);
  // End of file is placed right after the last token.
  EXPECT_EQ(tokens[13].loc.line, 2u);
  EXPECT_EQ(tokens[13].loc.col, 4u);
}

TEST(Lexer, Identifiers) {
  Lexed lexed = lexAll("_a A9_z f32 model");
  const std::vector<Token> &tokens = lexed.tokens;
  ASSERT_EQ(tokens.size(), 5u);
  EXPECT_EQ(tokens[0].text, "_a");
  EXPECT_EQ(tokens[1].text, "A9_z");
  EXPECT_TRUE(tokens[2].isIdent("f32"));
  EXPECT_TRUE(tokens[3].isIdent("model"));
}

TEST(Lexer, Integers) {
  struct Case {
    const char *text;
    int64_t value;
  };
  for (Case c : {Case{"0", 0}, Case{"256", 256}, Case{"-1", -1}, Case{"007", 7},
                 Case{"9223372036854775807", INT64_MAX},
                 Case{"-9223372036854775808", INT64_MIN}}) {
    Lexed lexed = lexAll(c.text);
    const Token &token = lexed.tokens.front();
    ASSERT_TRUE(token.is(Token::Kind::Number)) << c.text << ": " << token.value;
    EXPECT_TRUE(token.isInteger) << c.text;
    EXPECT_EQ(token.integer, c.value) << c.text;
    EXPECT_EQ(token.number, static_cast<double>(c.value)) << c.text;
    EXPECT_EQ(token.text, c.text);
  }
}

TEST(Lexer, Floats) {
  struct Case {
    const char *text;
    double value;
  };
  for (Case c : {Case{"0.1", 0.1}, Case{"-2.5", -2.5}, Case{"1e3", 1000.0}, Case{"1E-3", 1e-3},
                 Case{"-1e-3", -1e-3}, Case{"2.5e+10", 2.5e10}, Case{"6.02E23", 6.02e23},
                 Case{"-0.0", -0.0}, Case{"1.7976931348623157e308", 1.7976931348623157e308}}) {
    Lexed lexed = lexAll(c.text);
    const Token &token = lexed.tokens.front();
    ASSERT_TRUE(token.is(Token::Kind::Number)) << c.text << ": " << token.value;
    EXPECT_FALSE(token.isInteger) << c.text;
    EXPECT_EQ(token.number, c.value) << c.text;
    EXPECT_EQ(token.text, c.text);
  }
}

TEST(Lexer, NumberErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t col;
  };
  for (Case c : {
           Case{"-", "'-' must be directly followed by a digit", 1},
           Case{"- 5", "'-' must be directly followed by a digit", 1},
           Case{"-x", "'-' must be directly followed by a digit", 1},
           Case{"1.", "expected a digit after '.' in number '1.'", 2},
           Case{"1.e5", "expected a digit after '.' in number '1.'", 2},
           Case{"1e", "expected a digit in the exponent of number '1e'", 1},
           Case{"1e+", "expected a digit in the exponent of number '1e+'", 1},
           Case{".5", "a number must start with a digit: write '0.5', not '.5'", 1},
           Case{"256x", "unexpected character 'x' after number '256'", 4},
           Case{"0x10", "unexpected character 'x' after number '0'", 2},
           Case{"1.2.3", "unexpected character '.' after number '1.2'", 4},
           Case{"1e5e", "unexpected character 'e' after number '1e5'", 4},
           Case{"9223372036854775808", "integer '9223372036854775808' does not fit in 64 bits", 1},
           Case{"-9223372036854775809",
                "integer '-9223372036854775809' does not fit in 64 bits", 1},
           Case{"1e999", "number '1e999' is out of the range of a 64-bit float", 1},
           Case{"-1e999", "number '-1e999' is out of the range of a 64-bit float", 1},
       }) {
    Lexed lexed = lexAll(c.text);
    const Token &token = lexed.tokens.front();
    ASSERT_TRUE(token.is(Token::Kind::Error)) << c.text;
    EXPECT_EQ(token.value, c.message) << c.text;
    EXPECT_EQ(token.loc.col, c.col) << c.text;
  }
}

TEST(Lexer, Strings) {
  Lexed lexed = lexAll(R"("" "a b" "q\"q" "b\\s" "tab	in")");
  const std::vector<Token> &tokens = lexed.tokens;
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_EQ(tokens[0].value, "");
  EXPECT_EQ(tokens[1].value, "a b");
  EXPECT_EQ(tokens[2].value, "q\"q");
  EXPECT_EQ(tokens[3].value, "b\\s");
  EXPECT_EQ(tokens[4].value, "tab\tin");
}

TEST(Lexer, Comments) {
  Lexed lexed = lexAll("# whole line\na # trailing ( ] $ \xff\n#last");
  const std::vector<Token> &tokens = lexed.tokens;
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens[0].isIdent("a"));
  EXPECT_EQ(tokens[0].loc.line, 2u);
  EXPECT_TRUE(tokens[1].is(Token::Kind::Eof));
  EXPECT_EQ(tokens[1].loc.line, 2u);
  EXPECT_EQ(tokens[1].loc.col, 2u);
}

TEST(Lexer, EofAfterErrorAndRepeatedEof) {
  SourceFile file("m.kiln", "a $ b");
  Lexer lexer(file);
  EXPECT_TRUE(lexer.next().isIdent("a"));
  EXPECT_TRUE(lexer.next().is(Token::Kind::Error));
  EXPECT_TRUE(lexer.next().is(Token::Kind::Eof));
  EXPECT_TRUE(lexer.next().is(Token::Kind::Eof));
}

//===----------------------------------------------------------------------===//
// Parsing well-formed files
//===----------------------------------------------------------------------===//

TEST(Parser, Example) {
  ParseResult result = parse(kExample);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics;
  const ast::Model &model = *result.model;
  EXPECT_EQ(model.name, "mnist_mlp");
  ASSERT_EQ(model.inputs.size(), 2u);
  EXPECT_EQ(model.inputs[0].name, "x");
  EXPECT_FALSE(model.inputs[0].isLabel);
  EXPECT_EQ(model.inputs[0].type.element, ast::ElementType::F32);
  ASSERT_EQ(model.inputs[0].type.dims.size(), 2u);
  EXPECT_EQ(model.inputs[0].type.dims[0].symbol, "batch");
  EXPECT_EQ(model.inputs[0].type.dims[0].size, -1);
  EXPECT_EQ(model.inputs[0].type.dims[1].symbol, "");
  EXPECT_EQ(model.inputs[0].type.dims[1].size, 784);
  EXPECT_EQ(model.inputs[0].type.dims[1].loc.col, 23u);
  EXPECT_TRUE(model.inputs[1].isLabel);
  EXPECT_EQ(model.inputs[1].type.element, ast::ElementType::I32);
  ASSERT_EQ(model.bindings.size(), 4u);
  EXPECT_EQ(model.bindings[3].name, "loss");
  const ast::Expr &loss = *model.bindings[3].value;
  EXPECT_EQ(loss.kind, ast::Expr::Kind::Call);
  EXPECT_EQ(loss.name, "softmax_cross_entropy");
  ASSERT_EQ(loss.args.size(), 2u);
  EXPECT_EQ(loss.args[1].value->kind, ast::Expr::Kind::Name);
  EXPECT_EQ(loss.args[1].value->name, "y");
  ASSERT_TRUE(model.optimizer.has_value());
  EXPECT_EQ(model.optimizer->loc.line, 11u);
  EXPECT_EQ(model.optimizer->loc.col, 1u);
  const ast::Expr &sgd = *model.optimizer->call;
  EXPECT_EQ(sgd.kind, ast::Expr::Kind::Call);
  ASSERT_EQ(sgd.args.size(), 1u);
  EXPECT_EQ(sgd.args[0].keyword, "lr");
  EXPECT_EQ(sgd.args[0].value->number, 0.1);
  EXPECT_FALSE(sgd.args[0].value->isInteger);
}

TEST(Printer, Example) {
  EXPECT_EQ(printed(kExample), R"(Model mnist_mlp @1:7
  Input x : f32[batch, 784] @3:8
  Label y : i32[batch] @4:8
  Binding h1 @6:1
    Call relu @6:10
      Call dense @6:15
        Name x @6:21
        Number 256 @6:24
  Binding h2 @7:1
    Call relu @7:10
      Call dense @7:15
        Name h1 @7:21
        Number 128 @7:25
  Binding logits @8:1
    Call dense @8:10
      Name h2 @8:16
      Number 10 @8:20
  Binding loss @9:1
    Call softmax_cross_entropy @9:10
      Name logits @9:32
      Name y @9:40
  Optimizer @11:1
    Call sgd @11:11
      Arg lr @11:15
        Number 0.1 @11:20
)");
}

TEST(Printer, AllExpressionKinds) {
  EXPECT_EQ(printed("model m\n"
                    "a = f(x, k = -1e-3, s = \"q\\\"b\\\\\", g(), n = h(1, t = 2))\n"
                    "b = 7\n"
                    "c = \"\"\n"
                    "d = he_normal\n"),
            R"(Model m @1:7
  Binding a @2:1
    Call f @2:5
      Name x @2:7
      Arg k @2:10
        Number -1e-3 @2:14
      Arg s @2:21
        String "q\"b\\" @2:25
      Call g @2:35
      Arg n @2:40
        Call h @2:44
          Number 1 @2:46
          Arg t @2:49
            Number 2 @2:53
  Binding b @3:1
    Number 7 @3:5
  Binding c @4:1
    String "" @4:5
  Binding d @5:1
    Name he_normal @5:5
)");
}

TEST(Printer, HandBuiltTree) {
  ast::Model model;
  model.name = "m";
  model.loc = {1, 7};
  ast::Binding binding;
  binding.name = "b";
  binding.loc = {2, 1};
  binding.value = std::make_unique<ast::Expr>();
  binding.value->kind = ast::Expr::Kind::Number;
  binding.value->number = 0.25;
  binding.value->loc = {2, 5};
  model.bindings.push_back(std::move(binding));
  ast::Binding empty;
  empty.name = "e";
  model.bindings.push_back(std::move(empty));
  std::ostringstream os;
  ast::printModel(model, os);
  EXPECT_EQ(os.str(), "Model m @1:7\n  Binding b @2:1\n    Number 0.25 @2:5\n"
                      "  Binding e @0:0\n    <null>\n");
}

TEST(Parser, ModelOnly) {
  EXPECT_EQ(printed("model m"), "Model m @1:7\n");
  EXPECT_EQ(printed("\n\n   model\n\tm   # comment\n"), "Model m @4:2\n");
}

TEST(Parser, NewlineInsensitive) {
  EXPECT_EQ(printed("model m input x : f32 [ 2 ,\n n\n] h = relu(\nx\n) optimizer adam(\n)"),
            "Model m @1:7\n"
            "  Input x : f32[2, n] @1:15\n"
            "  Binding h @3:3\n"
            "    Call relu @3:7\n"
            "      Name x @4:1\n"
            "  Optimizer @5:3\n"
            "    Call adam @5:13\n");
}

TEST(Parser, CrLfLineEndings) {
  EXPECT_EQ(printed("model m\r\nh = f(1)\r\n"),
            "Model m @1:7\n  Binding h @2:1\n    Call f @2:5\n      Number 1 @2:7\n");
  EXPECT_EQ(errorOf("model m\r\nh = (\r\n"),
            "m.kiln:2:5: error: expected an expression after '=', found '('\n"
            "h = (\n"
            "    ^\n");
}

TEST(Parser, ReservedWordsElsewhereAreIdentifiers) {
  // Reserved words cannot be declared, but may name keyword arguments,
  // callees, values and dimensions.
  EXPECT_EQ(printed("model m\ninput x : f32[batch]\nh = model(input = label, f32)\n"),
            "Model m @1:7\n"
            "  Input x : f32[batch] @2:7\n"
            "  Binding h @3:1\n"
            "    Call model @3:5\n"
            "      Arg input @3:11\n"
            "        Name label @3:19\n"
            "      Name f32 @3:26\n");
}

const char *const kDirectives = R"(model m
input x : f32[batch, 4]
schedule cosine(period = 1000, warmup = 100)
regularizer l2(1e-4)
h = relu(x)
  clip global_norm(max_norm = 1.0)
optimizer adam(lr = 1e-3)
regularizer elastic_net(l1 = 1e-5, l2 = 1e-4)
regularizer l2(5e-4)
)";

TEST(Parser, Directives) {
  ParseResult result = parse(kDirectives);
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics;
  const ast::Model &model = *result.model;
  ASSERT_TRUE(model.optimizer.has_value());
  EXPECT_EQ(model.optimizer->loc.line, 7u);
  EXPECT_EQ(model.optimizer->call->name, "adam");

  // Regularizers may repeat, even with the same function, and keep their order.
  ASSERT_EQ(model.regularizers.size(), 3u);
  EXPECT_EQ(model.regularizers[0].loc.line, 4u);
  EXPECT_EQ(model.regularizers[0].loc.col, 1u);
  EXPECT_EQ(model.regularizers[0].call->name, "l2");
  EXPECT_EQ(model.regularizers[0].call->loc.col, 13u);
  ASSERT_EQ(model.regularizers[0].call->args.size(), 1u);
  EXPECT_EQ(model.regularizers[0].call->args[0].keyword, "");
  EXPECT_EQ(model.regularizers[0].call->args[0].value->number, 1e-4);
  EXPECT_EQ(model.regularizers[1].loc.line, 8u);
  EXPECT_EQ(model.regularizers[1].call->name, "elastic_net");
  ASSERT_EQ(model.regularizers[1].call->args.size(), 2u);
  EXPECT_EQ(model.regularizers[1].call->args[1].keyword, "l2");
  EXPECT_EQ(model.regularizers[2].loc.line, 9u);
  EXPECT_EQ(model.regularizers[2].call->args[0].value->spelling, "5e-4");

  ASSERT_TRUE(model.clip.has_value());
  EXPECT_EQ(model.clip->loc.line, 6u);
  EXPECT_EQ(model.clip->loc.col, 3u);
  const ast::Expr &clip = *model.clip->call;
  EXPECT_EQ(clip.kind, ast::Expr::Kind::Call);
  EXPECT_EQ(clip.name, "global_norm");
  EXPECT_EQ(clip.loc.col, 8u);
  ASSERT_EQ(clip.args.size(), 1u);
  EXPECT_EQ(clip.args[0].keyword, "max_norm");
  EXPECT_EQ(clip.args[0].value->number, 1.0);

  ASSERT_TRUE(model.schedule.has_value());
  EXPECT_EQ(model.schedule->loc.line, 3u);
  EXPECT_EQ(model.schedule->loc.col, 1u);
  const ast::Expr &schedule = *model.schedule->call;
  EXPECT_EQ(schedule.name, "cosine");
  ASSERT_EQ(schedule.args.size(), 2u);
  EXPECT_EQ(schedule.args[0].keyword, "period");
  EXPECT_TRUE(schedule.args[0].value->isInteger);
  EXPECT_EQ(schedule.args[1].keyword, "warmup");
  EXPECT_EQ(schedule.args[1].value->number, 100);
}

TEST(Parser, ScheduleUnits) {
  ParseResult result = parse("model m\nschedule cosine(period = 3 epochs, 1epoch, warmup = 5%)\n");
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics;
  const ast::Expr &schedule = *result.model->schedule->call;
  ASSERT_EQ(schedule.args.size(), 3u);
  EXPECT_EQ(schedule.args[0].value->number, 3);
  EXPECT_EQ(schedule.args[0].value->unit, "epochs");
  EXPECT_EQ(schedule.args[0].value->spelling, "3 epochs");
  EXPECT_EQ(schedule.args[1].value->unit, "epochs");
  EXPECT_EQ(schedule.args[1].value->spelling, "1 epochs");
  EXPECT_EQ(schedule.args[2].value->number, 0.05);
  EXPECT_EQ(schedule.args[2].value->unit, "run");
  EXPECT_EQ(schedule.args[2].value->spelling, "5%");
}

TEST(Errors, UnitsOutsideSchedule) {
  EXPECT_EQ(errorOf("model m\nh = dense(x, 3 epochs)\n"),
            "m.kiln:2:16: error: unit 'epochs' after '3': only a schedule's step_size, period "
            "and warmup take a unit (epochs or %)\n"
            "h = dense(x, 3 epochs)\n"
            "               ^\n");
  EXPECT_EQ(errorOf("model m\nschedule cosine(period = 3 steps)\n"),
            "m.kiln:2:28: error: unknown unit 'steps' after '3': a count is in updates (3), "
            "epochs (3 epochs) or a percentage of the run (3%)\n"
            "schedule cosine(period = 3 steps)\n"
            "                           ^\n");
}

TEST(Parser, DirectivesAreOptional) {
  ParseResult result = parse("model m\nregularizer l1(0.01)\n");
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics;
  EXPECT_FALSE(result.model->optimizer.has_value());
  EXPECT_FALSE(result.model->clip.has_value());
  EXPECT_FALSE(result.model->schedule.has_value());
  EXPECT_EQ(result.model->regularizers.size(), 1u);
  EXPECT_TRUE(parse("model m\nh = 1\n").model->regularizers.empty());
}

TEST(Printer, Directives) {
  // Optimizer, regularizers, clip, schedule: in that order after the
  // bindings, whatever the order in the file.
  EXPECT_EQ(printed(kDirectives), R"(Model m @1:7
  Input x : f32[batch, 4] @2:7
  Binding h @5:1
    Call relu @5:5
      Name x @5:10
  Optimizer @7:1
    Call adam @7:11
      Arg lr @7:16
        Number 1e-3 @7:21
  Regularizer @4:1
    Call l2 @4:13
      Number 1e-4 @4:16
  Regularizer @8:1
    Call elastic_net @8:13
      Arg l1 @8:25
        Number 1e-5 @8:30
      Arg l2 @8:36
        Number 1e-4 @8:41
  Regularizer @9:1
    Call l2 @9:13
      Number 5e-4 @9:16
  Clip @6:3
    Call global_norm @6:8
      Arg max_norm @6:20
        Number 1.0 @6:31
  Schedule @3:1
    Call cosine @3:10
      Arg period @3:17
        Number 1000 @3:26
      Arg warmup @3:32
        Number 100 @3:41
)");
  EXPECT_EQ(printed("model m\nclip value(1)\nschedule constant()\n"),
            "Model m @1:7\n"
            "  Clip @2:1\n"
            "    Call value @2:6\n"
            "      Number 1 @2:12\n"
            "  Schedule @3:1\n"
            "    Call constant @3:10\n");
}

TEST(Parser, DirectiveKeywordsElsewhereAreIdentifiers) {
  // 'regularizer', 'clip' and 'schedule' are reserved only as declared
  // names: they may name callees, keyword arguments and values.
  EXPECT_EQ(printed("model m\n"
                    "h = clip(x, regularizer = schedule)\n"
                    "schedule step(clip = 1, schedule = regularizer)\n"),
            "Model m @1:7\n"
            "  Binding h @2:1\n"
            "    Call clip @2:5\n"
            "      Name x @2:10\n"
            "      Arg regularizer @2:13\n"
            "        Name schedule @2:27\n"
            "  Schedule @3:1\n"
            "    Call step @3:10\n"
            "      Arg clip @3:15\n"
            "        Number 1 @3:22\n"
            "      Arg schedule @3:25\n"
            "        Name regularizer @3:36\n");
}

TEST(Parser, SixtyFourNestedCallsAreAccepted) {
  std::string text = "model m\nh = ";
  for (int i = 0; i < 64; ++i)
    text += "f(";
  text += "x";
  for (int i = 0; i < 64; ++i)
    text += ")";
  ParseResult result = parse(text);
  EXPECT_TRUE(result.model.has_value()) << result.diagnostics;
}

TEST(Parser, VeryLongLines) {
  std::string name(100000, 'a');
  std::string args;
  for (int i = 0; i < 20000; ++i)
    args += (i ? ", " : "") + std::to_string(i);
  ParseResult result = parse("model m\n" + name + " = f(" + args + ")\n");
  ASSERT_TRUE(result.model.has_value()) << result.diagnostics;
  ASSERT_EQ(result.model->bindings.size(), 1u);
  EXPECT_EQ(result.model->bindings[0].name, name);
  const ast::Expr &call = *result.model->bindings[0].value;
  ASSERT_EQ(call.args.size(), 20000u);
  EXPECT_EQ(call.args.back().value->spelling, "19999");
  EXPECT_EQ(call.loc.col, 100004u);

  // An error at the end of a long line: the message shortens the long name,
  // the line is shown from 60 characters before the error, and the caret
  // still lines up.
  std::string diag = errorOf("model m\n" + name + " 1");
  EXPECT_EQ(diag, "m.kiln:2:100002: error: expected '=' after "
                  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...', found '1'\n..." +
                      std::string(59, 'a') + " 1\n" + std::string(63, ' ') + "^\n");
}

TEST(Parser, ManyStatements) {
  std::string text = "model m\n";
  for (int i = 0; i < 5000; ++i)
    text += "h" + std::to_string(i) + " = relu(x)\n";
  ParseResult result = parse(text);
  ASSERT_TRUE(result.model.has_value());
  EXPECT_EQ(result.model->bindings.size(), 5000u);
}

//===----------------------------------------------------------------------===//
// Syntax errors: the exact text, location and caret of each
//===----------------------------------------------------------------------===//

TEST(Errors, EmptyFile) {
  EXPECT_EQ(errorOf(""),
            "m.kiln:1:1: error: expected 'model' declaration at the start of the file, "
            "found end of file\n"
            "\n"
            "^\n");
}

TEST(Errors, OnlyCommentsAndSpace) {
  EXPECT_EQ(errorOf("# nothing here\n\n"),
            "m.kiln:1:1: error: expected 'model' declaration at the start of the file, "
            "found end of file\n"
            "# nothing here\n"
            "^\n");
}

TEST(Errors, MissingModel) {
  EXPECT_EQ(errorOf("input x : f32[1]"),
            "m.kiln:1:1: error: expected 'model' declaration at the start of the file, "
            "found 'input'\n"
            "input x : f32[1]\n"
            "^\n");
}

TEST(Errors, MissingModelName) {
  EXPECT_EQ(errorOf("model\n"),
            "m.kiln:1:6: error: expected a model name after 'model', found end of file\n"
            "model\n"
            "     ^\n");
  EXPECT_EQ(errorOf("model 3"),
            "m.kiln:1:7: error: expected a model name after 'model', found '3'\n"
            "model 3\n"
            "      ^\n");
}

TEST(Errors, ReservedNames) {
  EXPECT_EQ(errorOf("model input"),
            "m.kiln:1:7: error: 'input' is a reserved word and cannot be used as a name\n"
            "model input\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\ninput f32 : f32[1]"),
            "m.kiln:2:7: error: 'f32' is a reserved word and cannot be used as a name\n"
            "input f32 : f32[1]\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\ni32 = relu(x)"),
            "m.kiln:2:1: error: 'i32' is a reserved word and cannot be used as a name\n"
            "i32 = relu(x)\n"
            "^\n");
  EXPECT_EQ(errorOf("model m\nlabel = relu(x)"),
            "m.kiln:2:1: error: 'label' is a reserved word and cannot be used as a name\n"
            "label = relu(x)\n"
            "^\n");
  EXPECT_EQ(errorOf("model m\noptimizer = 1"),
            "m.kiln:2:1: error: 'optimizer' is a reserved word and cannot be used as a name\n"
            "optimizer = 1\n"
            "^\n");
  EXPECT_EQ(errorOf("model m\nmodel = 1"),
            "m.kiln:2:1: error: 'model' is a reserved word and cannot be used as a name\n"
            "model = 1\n"
            "^\n");
}

TEST(Errors, ReservedDirectiveWords) {
  EXPECT_EQ(errorOf("model m\nregularizer = 1"),
            "m.kiln:2:1: error: 'regularizer' is a reserved word and cannot be used as a "
            "name\n"
            "regularizer = 1\n"
            "^\n");
  EXPECT_EQ(errorOf("model m\n  clip = relu(x)"),
            "m.kiln:2:3: error: 'clip' is a reserved word and cannot be used as a name\n"
            "  clip = relu(x)\n"
            "  ^\n");
  EXPECT_EQ(errorOf("model m\nschedule=f()"),
            "m.kiln:2:1: error: 'schedule' is a reserved word and cannot be used as a name\n"
            "schedule=f()\n"
            "^\n");
  EXPECT_EQ(errorOf("model clip"),
            "m.kiln:1:7: error: 'clip' is a reserved word and cannot be used as a name\n"
            "model clip\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\ninput schedule : f32[1]"),
            "m.kiln:2:7: error: 'schedule' is a reserved word and cannot be used as a name\n"
            "input schedule : f32[1]\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nlabel regularizer : i32[1]"),
            "m.kiln:2:7: error: 'regularizer' is a reserved word and cannot be used as a "
            "name\n"
            "label regularizer : i32[1]\n"
            "      ^\n");
}

TEST(Errors, DuplicateModel) {
  EXPECT_EQ(errorOf("model a\nmodel b\n"),
            "m.kiln:2:1: error: duplicate model declaration\n"
            "model b\n"
            "^\n"
            "m.kiln:1:7: note: model 'a' declared here\n"
            "model a\n"
            "      ^\n");
}

TEST(Errors, NotAStatement) {
  EXPECT_EQ(errorOf("model m\n(x)"),
            "m.kiln:2:1: error: expected a statement (input, label, optimizer, regularizer, "
            "clip, schedule, tune or 'name = expr'), found '('\n"
            "(x)\n"
            "^\n");
  EXPECT_EQ(errorOf("model m\nh = 1 2"),
            "m.kiln:2:7: error: expected a statement (input, label, optimizer, regularizer, "
            "clip, schedule, tune or 'name = expr'), found '2'\n"
            "h = 1 2\n"
            "      ^\n");
}

TEST(Errors, InputDeclarations) {
  EXPECT_EQ(errorOf("model m\ninput : f32[1]"),
            "m.kiln:2:7: error: expected a name after 'input', found ':'\n"
            "input : f32[1]\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nlabel"),
            "m.kiln:2:6: error: expected a name after 'label', found end of file\n"
            "label\n"
            "     ^\n");
  EXPECT_EQ(errorOf("model m\ninput x f32[1]"),
            "m.kiln:2:9: error: expected ':' after 'x', found 'f32'\n"
            "input x f32[1]\n"
            "        ^\n");
}

TEST(Errors, TensorTypes) {
  EXPECT_EQ(errorOf("model m\ninput x : [batch, 784]"),
            "m.kiln:2:11: error: expected a tensor type such as f32[batch, 784], found '['\n"
            "input x : [batch, 784]\n"
            "          ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f64[1]"),
            "m.kiln:2:11: error: unknown element type 'f64', expected 'f32' or 'i32'\n"
            "input x : f64[1]\n"
            "          ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32(1)"),
            "m.kiln:2:14: error: expected '[' after 'f32', found '('\n"
            "input x : f32(1)\n"
            "             ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : i32"),
            "m.kiln:2:14: error: expected '[' after 'i32', found end of file\n"
            "input x : i32\n"
            "             ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[]"),
            "m.kiln:2:15: error: expected a dimension (a positive integer or a name), "
            "found ']'\n"
            "input x : f32[]\n"
            "              ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[batch,]"),
            "m.kiln:2:21: error: expected a dimension (a positive integer or a name), "
            "found ']'\n"
            "input x : f32[batch,]\n"
            "                    ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[batch 784]"),
            "m.kiln:2:21: error: expected ',' or ']' after a dimension of 'x', found '784'\n"
            "input x : f32[batch 784]\n"
            "                    ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[batch, 784"),
            "m.kiln:2:25: error: expected ']' to close the dimensions of 'x' opened at 2:14, "
            "found end of file\n"
            "input x : f32[batch, 784\n"
            "                        ^\n");
}

TEST(Errors, Dimensions) {
  EXPECT_EQ(errorOf("model m\ninput x : f32[0]"),
            "m.kiln:2:15: error: a dimension must be a positive integer or a name, found '0'\n"
            "input x : f32[0]\n"
            "              ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[-3]"),
            "m.kiln:2:15: error: a dimension must be a positive integer or a name, found '-3'\n"
            "input x : f32[-3]\n"
            "              ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[2.5]"),
            "m.kiln:2:15: error: a dimension must be a positive integer or a name, "
            "found '2.5'\n"
            "input x : f32[2.5]\n"
            "              ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[1e3]"),
            "m.kiln:2:15: error: a dimension must be a positive integer or a name, "
            "found '1e3'\n"
            "input x : f32[1e3]\n"
            "              ^\n");
  EXPECT_EQ(errorOf("model m\ninput x : f32[\"b\"]"),
            "m.kiln:2:15: error: expected a dimension (a positive integer or a name), "
            "found '\"b\"'\n"
            "input x : f32[\"b\"]\n"
            "              ^\n");
}

TEST(Errors, Bindings) {
  EXPECT_EQ(errorOf("model m\nh1 relu(x)"),
            "m.kiln:2:4: error: expected '=' after 'h1', found 'relu'\n"
            "h1 relu(x)\n"
            "   ^\n");
  EXPECT_EQ(errorOf("model m\nh1 ="),
            "m.kiln:2:5: error: expected an expression after '=', found end of file\n"
            "h1 =\n"
            "    ^\n");
  EXPECT_EQ(errorOf("model m\nh1 = )"),
            "m.kiln:2:6: error: expected an expression after '=', found ')'\n"
            "h1 = )\n"
            "     ^\n");
  EXPECT_EQ(errorOf("model m\nh1 = = 2"),
            "m.kiln:2:6: error: expected an expression after '=', found '='\n"
            "h1 = = 2\n"
            "     ^\n");
}

TEST(Errors, Calls) {
  EXPECT_EQ(errorOf("model m\nh1     = relu(dense(x, 256)\n"),
            "m.kiln:2:28: error: expected ')' to close the call to 'relu' opened at 2:14, "
            "found end of file\n"
            "h1     = relu(dense(x, 256)\n"
            "                           ^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(  # open\n"),
            "m.kiln:2:11: error: expected ')' to close the call to 'dense' opened at 2:10, "
            "found end of file\n"
            "h = dense(  # open\n"
            "          ^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(,)"),
            "m.kiln:2:11: error: expected an argument or ')' in the call to 'dense', "
            "found ','\n"
            "h = dense(,)\n"
            "          ^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(x,)"),
            "m.kiln:2:13: error: expected an argument after ',' in the call to 'dense', "
            "found ')'\n"
            "h = dense(x,)\n"
            "            ^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(x,"),
            "m.kiln:2:13: error: expected an argument after ',' in the call to 'dense', "
            "found end of file\n"
            "h = dense(x,\n"
            "            ^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(x 256)"),
            "m.kiln:2:13: error: expected ',' or ')' after an argument of 'dense', "
            "found '256'\n"
            "h = dense(x 256)\n"
            "            ^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(x, 256\ng = relu(h)"),
            "m.kiln:3:1: error: expected ',' or ')' after an argument of 'dense', "
            "found 'g'\n"
            "g = relu(h)\n"
            "^\n");
  EXPECT_EQ(errorOf("model m\nh = dense(x, units = )"),
            "m.kiln:2:22: error: expected a value for 'units', found ')'\n"
            "h = dense(x, units = )\n"
            "                     ^\n");
}

TEST(Errors, Optimizer) {
  EXPECT_EQ(errorOf("model m\noptimizer"),
            "m.kiln:2:10: error: expected an optimizer call such as sgd(lr = 0.1) after "
            "'optimizer', found end of file\n"
            "optimizer\n"
            "         ^\n");
  EXPECT_EQ(errorOf("model m\noptimizer 0.1"),
            "m.kiln:2:11: error: expected an optimizer call such as sgd(lr = 0.1) after "
            "'optimizer', found '0.1'\n"
            "optimizer 0.1\n"
            "          ^\n");
  EXPECT_EQ(errorOf("model m\noptimizer sgd"),
            "m.kiln:2:14: error: expected '(' after 'sgd', found end of file\n"
            "optimizer sgd\n"
            "             ^\n");
  EXPECT_EQ(errorOf("model m\noptimizer sgd lr = 0.1"),
            "m.kiln:2:15: error: expected '(' after 'sgd', found 'lr'\n"
            "optimizer sgd lr = 0.1\n"
            "              ^\n");
  EXPECT_EQ(errorOf("model m\noptimizer sgd $"),
            "m.kiln:2:15: error: unexpected character '$'\n"
            "optimizer sgd $\n"
            "              ^\n");
}

TEST(Errors, DuplicateOptimizer) {
  EXPECT_EQ(errorOf("model m\noptimizer sgd(lr = 0.1)\nh = 1\n  optimizer adam()\n"),
            "m.kiln:4:3: error: duplicate optimizer declaration\n"
            "  optimizer adam()\n"
            "  ^\n"
            "m.kiln:2:1: note: first optimizer declared here\n"
            "optimizer sgd(lr = 0.1)\n"
            "^\n");
}

TEST(Errors, DirectiveWithoutCall) {
  EXPECT_EQ(errorOf("model m\nregularizer"),
            "m.kiln:2:12: error: expected a regularizer call such as l2(1e-4) after "
            "'regularizer', found end of file\n"
            "regularizer\n"
            "           ^\n");
  EXPECT_EQ(errorOf("model m\nregularizer 1e-4"),
            "m.kiln:2:13: error: expected a regularizer call such as l2(1e-4) after "
            "'regularizer', found '1e-4'\n"
            "regularizer 1e-4\n"
            "            ^\n");
  EXPECT_EQ(errorOf("model m\nclip\nh = 1"),
            "m.kiln:3:3: error: expected '(' after 'h', found '='\n"
            "h = 1\n"
            "  ^\n");
  EXPECT_EQ(errorOf("model m\nclip = "),
            "m.kiln:2:1: error: 'clip' is a reserved word and cannot be used as a name\n"
            "clip = \n"
            "^\n");
  EXPECT_EQ(errorOf("model m\nclip \"norm\""),
            "m.kiln:2:6: error: expected a clipping call such as global_norm(max_norm = 1.0) "
            "after 'clip', found '\"norm\"'\n"
            "clip \"norm\"\n"
            "     ^\n");
  EXPECT_EQ(errorOf("model m\nclip global_norm"),
            "m.kiln:2:17: error: expected '(' after 'global_norm', found end of file\n"
            "clip global_norm\n"
            "                ^\n");
  EXPECT_EQ(errorOf("model m\nschedule"),
            "m.kiln:2:9: error: expected a schedule call such as cosine(period = 1000) after "
            "'schedule', found end of file\n"
            "schedule\n"
            "        ^\n");
  EXPECT_EQ(errorOf("model m\nschedule (period = 10)"),
            "m.kiln:2:10: error: expected a schedule call such as cosine(period = 1000) after "
            "'schedule', found '('\n"
            "schedule (period = 10)\n"
            "         ^\n");
  EXPECT_EQ(errorOf("model m\nschedule step(10, gamma = )"),
            "m.kiln:2:27: error: expected a value for 'gamma', found ')'\n"
            "schedule step(10, gamma = )\n"
            "                          ^\n");
}

TEST(Errors, DuplicateClip) {
  EXPECT_EQ(errorOf("model m\n  clip norm(max_norm = 5)\nregularizer l2(1e-4)\n"
                    "h = 1\n    clip value(1.0)\n"),
            "m.kiln:5:5: error: duplicate clip declaration\n"
            "    clip value(1.0)\n"
            "    ^\n"
            "m.kiln:2:3: note: first clip declared here\n"
            "  clip norm(max_norm = 5)\n"
            "  ^\n");
}

TEST(Errors, DuplicateSchedule) {
  // Reported at the second keyword, before its call is read.
  EXPECT_EQ(errorOf("model m\nschedule constant()\nclip value(1)\n schedule $"),
            "m.kiln:4:2: error: duplicate schedule declaration\n"
            " schedule $\n"
            " ^\n"
            "m.kiln:2:1: note: first schedule declared here\n"
            "schedule constant()\n"
            "^\n");
}

TEST(Errors, NestedTooDeeply) {
  std::string text = "model m\nh = ";
  for (int i = 0; i < 65; ++i)
    text += "f(";
  std::string diag = errorOf(text + "x");
  // The 135-character line is shown from 60 characters before the error.
  std::string line = text.substr(8) + "x";
  EXPECT_EQ(diag, "m.kiln:2:133: error: expression nested too deeply (more than 64 nested "
                  "calls)\n..." +
                      line.substr(72) + "\n" + std::string(63, ' ') + "^\n");

  // Far deeper than any stack allows: still one clean error.
  std::string deep = "model m\nh = ";
  for (int i = 0; i < 1000000; ++i)
    deep += "f(";
  ParseResult result = parse(deep);
  EXPECT_FALSE(result.model.has_value());
  EXPECT_EQ(result.errors, 1u);
  EXPECT_EQ(result.diagnostics.rfind("m.kiln:2:133: error: expression nested too deeply", 0),
            0u);
}

TEST(Errors, UnexpectedCharacters) {
  EXPECT_EQ(errorOf("model m\nh = a $ b"),
            "m.kiln:2:7: error: unexpected character '$'\n"
            "h = a $ b\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(x; y)"),
            "m.kiln:2:8: error: unexpected character ';'\n"
            "h = f(x; y)\n"
            "       ^\n");
  EXPECT_EQ(errorOf("model m\nh = f('x')"),
            "m.kiln:2:7: error: unexpected character \"'\" (strings use double quotes)\n"
            "h = f('x')\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(.5)"),
            "m.kiln:2:7: error: a number must start with a digit: write '0.5', not '.5'\n"
            "h = f(.5)\n"
            "      ^\n");
  // A '.' not before a digit is a token (it joins dotted names in a tune
  // block), out of place here.
  EXPECT_EQ(errorOf("model m\nh = f(x) . g"),
            "m.kiln:2:10: error: expected a statement (input, label, optimizer, regularizer, "
            "clip, schedule, tune or 'name = expr'), found '.'\n"
            "h = f(x) . g\n"
            "         ^\n");
}

TEST(Errors, NumbersInContext) {
  EXPECT_EQ(errorOf("model m\nh = f(- 1)"),
            "m.kiln:2:7: error: '-' must be directly followed by a digit\n"
            "h = f(- 1)\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(256x)"),
            "m.kiln:2:10: error: unexpected character 'x' after number '256'\n"
            "h = f(256x)\n"
            "         ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(1.)"),
            "m.kiln:2:8: error: expected a digit after '.' in number '1.'\n"
            "h = f(1.)\n"
            "       ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(2e-)"),
            "m.kiln:2:7: error: expected a digit in the exponent of number '2e-'\n"
            "h = f(2e-)\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(99999999999999999999)"),
            "m.kiln:2:7: error: integer '99999999999999999999' does not fit in 64 bits\n"
            "h = f(99999999999999999999)\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(1e400)"),
            "m.kiln:2:7: error: number '1e400' is out of the range of a 64-bit float\n"
            "h = f(1e400)\n"
            "      ^\n");
}

TEST(Errors, Strings) {
  EXPECT_EQ(errorOf("model m\nh = f(\"abc)\ng = 1"),
            "m.kiln:2:7: error: unterminated string\n"
            "h = f(\"abc)\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = f(\"abc\\"),
            "m.kiln:2:7: error: unterminated string\n"
            "h = f(\"abc\\\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = \"a\\nb\""),
            "m.kiln:2:7: error: unknown escape sequence '\\n' in string (only \\\" and \\\\ "
            "are allowed)\n"
            "h = \"a\\nb\"\n"
            "      ^\n");
  EXPECT_EQ(errorOf("model m\nh = \"caf\xc3\xa9\""),
            "m.kiln:2:9: error: unexpected byte 0xC3 in string\n"
            "h = \"caf\xc3\xa9\"\n"
            "        ^\n");
  EXPECT_EQ(errorOf(std::string("model m\nh = \"a\0b\"", 17)),
            "m.kiln:2:7: error: unexpected byte 0x00 in string\n"
            "h = \"a?b\"\n"
            "      ^\n");
}

TEST(Errors, GarbageBytes) {
  // Bytes that cannot be printed are named, never echoed; the source line
  // shows them as '?'.
  EXPECT_EQ(errorOf("\xff\xfe\x01"),
            "m.kiln:1:1: error: unexpected byte 0xFF\n"
            "???\n"
            "^\n");
  EXPECT_EQ(errorOf(std::string("model m\nh = \0", 13)),
            "m.kiln:2:5: error: unexpected byte 0x00\n"
            "h = ?\n"
            "    ^\n");
  EXPECT_EQ(errorOf("model m\nh = \x7f"),
            "m.kiln:2:5: error: unexpected byte 0x7F\n"
            "h = ?\n"
            "    ^\n");
  EXPECT_EQ(errorOf("model m\nh = \x1b[31m"),
            "m.kiln:2:5: error: unexpected byte 0x1B\n"
            "h = ?[31m\n"
            "    ^\n");
  // Well-formed UTF-8 is shown as is, one caret column per character.
  EXPECT_EQ(errorOf("model m\n# \xc3\xa9t\xc3\xa9\nh\xc3\xa9 = 1"),
            "m.kiln:3:2: error: unexpected non-ASCII character U+00E9 (bytes 0xC3 0xA9); only "
            "comments may hold non-ASCII text\n"
            "h\xc3\xa9 = 1\n"
            " ^\n");
  EXPECT_EQ(errorOf("model m\nh = \xc3\xa9 $"),
            "m.kiln:2:5: error: unexpected non-ASCII character U+00E9 (bytes 0xC3 0xA9); only "
            "comments may hold non-ASCII text\n"
            "h = \xc3\xa9 $\n"
            "    ^\n");
  // A byte-order mark past the start, and a bidirectional override, are
  // named by code point and not shown.
  EXPECT_EQ(errorOf("model m\nh = \xef\xbb\xbf" "1"),
            "m.kiln:2:5: error: unexpected byte-order mark U+FEFF (bytes 0xEF 0xBB 0xBF), which "
            "only the start of the file may hold\n"
            "h = ???1\n"
            "    ^\n");
  EXPECT_EQ(errorOf("model m\nh = \xe2\x80\xae" "1"),
            "m.kiln:2:5: error: unexpected non-ASCII character U+202E (bytes 0xE2 0x80 0xAE); "
            "only comments may hold non-ASCII text\n"
            "h = ???1\n"
            "    ^\n");
  // A form feed is not whitespace.
  EXPECT_EQ(errorOf("model m\f"),
            "m.kiln:1:8: error: unexpected byte 0x0C\n"
            "model m?\n"
            "       ^\n");
}

TEST(Errors, TabsLineUpTheCaret) {
  EXPECT_EQ(errorOf("model m\n\th1\t=\trelu(\tx $)"),
            "m.kiln:2:15: error: unexpected character '$'\n"
            "\th1\t=\trelu(\tx $)\n"
            "\t  \t \t     \t  ^\n");
}

TEST(Errors, GarbageEarlierOnTheLineIsShownSafely) {
  // Later stages may point after bytes the lexer never reached: each such
  // byte is shown as '?' and takes one caret column.
  SourceFile file("f", "\x01\xc3 x # \xff\n");
  std::ostringstream os;
  DiagnosticEngine diags(file, os);
  diags.error({1, 4}, "unknown name 'x'");
  EXPECT_EQ(os.str(), "f:1:4: error: unknown name 'x'\n"
                      "?? x # ?\n"
                      "   ^\n");
}

//===----------------------------------------------------------------------===//
// Robustness: whatever the bytes, one clean error or a model
//===----------------------------------------------------------------------===//

TEST(Robustness, EveryPrefixOfTheExample) {
  std::string text = kExample;
  for (size_t length = 0; length <= text.size(); ++length) {
    ParseResult result = parse(text.substr(0, length));
    if (result.model) {
      EXPECT_EQ(result.errors, 0u);
      continue;
    }
    EXPECT_EQ(result.errors, 1u) << "prefix " << length;
    EXPECT_NE(result.diagnostics.find(": error: "), std::string::npos);
  }
}

TEST(Robustness, RandomBytesAndMutations) {
  std::mt19937 rng(12345);
  const std::string alphabet = "modelinputlabeloptimizerf32i32[](),:=\"\\#-.eE0123456789 \n\tx_";
  std::string example = kExample;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    switch (round % 3) {
    case 0: { // random bytes
      size_t length = rng() % 64;
      for (size_t i = 0; i < length; ++i)
        text += static_cast<char>(rng() & 0xff);
      break;
    }
    case 1: { // random characters of the language
      size_t length = rng() % 200;
      text = "model m\n";
      for (size_t i = 0; i < length; ++i)
        text += alphabet[rng() % alphabet.size()];
      break;
    }
    default: { // the example with a few bytes changed
      text = example;
      for (int i = 0; i < 3; ++i)
        text[rng() % text.size()] = static_cast<char>(rng() & 0xff);
      break;
    }
    }
    ParseResult result = parse(text);
    if (result.model) {
      EXPECT_EQ(result.errors, 0u);
      continue;
    }
    EXPECT_EQ(result.errors, 1u);
    // Diagnostics never carry control bytes other than tab and newline.
    for (char c : result.diagnostics) {
      auto byte = static_cast<unsigned char>(c);
      EXPECT_TRUE(byte >= 0x20 || c == '\n' || c == '\t') << "byte " << int(byte);
    }
  }
}

//===----------------------------------------------------------------------===//
// Diagnostics and source files
//===----------------------------------------------------------------------===//

TEST(Diagnostics, Lines) {
  SourceFile file("f", "one\r\ntwo\n\nfour");
  EXPECT_EQ(file.lineCount(), 4u);
  EXPECT_EQ(file.line(0), "");
  EXPECT_EQ(file.line(1), "one");
  EXPECT_EQ(file.line(2), "two");
  EXPECT_EQ(file.line(3), "");
  EXPECT_EQ(file.line(4), "four");
  EXPECT_EQ(file.line(5), "");
  EXPECT_EQ(SourceFile("f", "").lineCount(), 1u);
  EXPECT_EQ(SourceFile("f", "a\n").lineCount(), 2u);
}

TEST(Diagnostics, Formats) {
  SourceFile file("dir/model.kiln", "h2 = relu(dense(h3, 128))\n");
  std::ostringstream os;
  DiagnosticEngine diags(file, os);
  diags.error({1, 17}, "unknown name 'h3'");
  diags.report(Severity::Warning, {1, 1}, "unused binding 'h2'");
  diags.note({1, 26}, "past the end");
  diags.error({0, 0}, "no location");
  diags.error({7, 1}, "line out of range");
  diags.error({1, 500}, "column out of range");
  EXPECT_EQ(diags.errorCount(), 4u);
  EXPECT_EQ(os.str(), "dir/model.kiln:1:17: error: unknown name 'h3'\n"
                      "h2 = relu(dense(h3, 128))\n"
                      "                ^\n"
                      "dir/model.kiln:1:1: warning: unused binding 'h2'\n"
                      "h2 = relu(dense(h3, 128))\n"
                      "^\n"
                      "dir/model.kiln:1:26: note: past the end\n"
                      "h2 = relu(dense(h3, 128))\n"
                      "                         ^\n"
                      "dir/model.kiln: error: no location\n"
                      "dir/model.kiln:7:1: error: line out of range\n"
                      "dir/model.kiln:1:500: error: column out of range\n"
                      "h2 = relu(dense(h3, 128))\n"
                      "                         ^\n");
}

TEST(SourceFileRead, MissingFile) {
  SourceFile file("", "");
  std::string error;
  EXPECT_FALSE(SourceFile::read("/nonexistent/x.kiln", file, error));
  EXPECT_EQ(error, "cannot open '/nonexistent/x.kiln': No such file or directory");
  EXPECT_EQ(file.text(), "");
}

TEST(SourceFileRead, Directory) {
  SourceFile file("", "");
  std::string error;
  EXPECT_FALSE(SourceFile::read("/", file, error));
  EXPECT_EQ(error, "cannot read '/': Is a directory");
}

TEST(SourceFile, DropsALeadingByteOrderMark) {
  EXPECT_EQ(SourceFile("f", "\xef\xbb\xbfmodel m").text(), "model m");
  EXPECT_EQ(SourceFile("f", "\xef\xbb\xbf").text(), "");
  // Only one, and only at the start.
  EXPECT_EQ(SourceFile("f", "\xef\xbb\xbf\xef\xbb\xbfm").text(), "\xef\xbb\xbfm");
  EXPECT_EQ(SourceFile("f", "m\xef\xbb\xbf").text(), "m\xef\xbb\xbf");
}

TEST(SourceFileRead, RefusesAFileOverTheLimit) {
  std::string path = ::testing::TempDir() + "frontend_read_too_large.kiln";
  {
    std::ofstream out(path, std::ios::binary);
    out.seekp(static_cast<std::streamoff>(kMaxSourceBytes));
    out.put('\n'); // one byte over, the rest a hole
  }
  SourceFile file("", "");
  std::string error;
  EXPECT_FALSE(SourceFile::read(path, file, error));
  EXPECT_EQ(error, "'" + path + "' holds more than 16777216 bytes (16 MiB), the limit on a "
                   "model file");
  std::remove(path.c_str());
}

TEST(SourceFileRead, RefusesAnEndlessDevice) {
  SourceFile file("", "");
  std::string error;
  EXPECT_FALSE(SourceFile::read("/dev/zero", file, error));
  EXPECT_EQ(error, "'/dev/zero' holds more than 16777216 bytes (16 MiB), the limit on a model "
                   "file");
}

TEST(SourceFileRead, ReadsBytesExactly) {
  std::string path = ::testing::TempDir() + "frontend_read_test.kiln";
  std::string contents("model m\r\n\0\xff", 11);
  {
    std::ofstream out(path, std::ios::binary);
    out << contents;
  }
  SourceFile file("", "");
  std::string error;
  ASSERT_TRUE(SourceFile::read(path, file, error)) << error;
  EXPECT_EQ(file.path(), path);
  EXPECT_EQ(file.text(), contents);
  std::remove(path.c_str());
}

} // namespace

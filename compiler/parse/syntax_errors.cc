#include "compiler/parse/syntax_errors.h"

#include <cctype>
#include <map>
#include <set>

#include "TuttiLexer.h"
#include "TuttiParser.h"

namespace tutti::compiler::internal {

std::string DescribeTokenType(size_t type, const antlr4::dfa::Vocabulary& vocabulary);

namespace {

using P = tutti_grammar::TuttiParser;

// What is expected after a keyword, when what follows it does not fit.
const std::map<size_t, std::string>& AfterKeyword() {
  static const auto* table = new std::map<size_t, std::string>{
      {P::WAIT, "expected a duration such as 7d, 'until 09:00' or 'up to 7d for EVENT' after 'wait'"},
      {P::SEND, "expected a channel name after 'send', as in: send email \"template-id\" to hcp"},
      {P::TASK, "expected who gets the task after 'task': a staff id such as hcp.rep, or staff where ..."},
      {P::NOTIFY, "expected who is notified after 'notify': a staff id, or staff where ..."},
      {P::ON, "expected an event name after 'on', as in: on formulary_win as win where ..."},
      {P::DUE, "expected a duration such as 3d after 'due'"},
      {P::REENTRY, "expected 'after 90d', 'never' or 'always' after 'reentry'"},
      {P::SPLIT, "expected '{' with arms such as 50% a -> ... after 'split'"},
      {P::PER, "expected a duration such as 7d after 'per'"},
      {P::WITHIN, "expected a duration such as 30d after 'within'"},
      {P::UP, "expected 'to' and a duration after 'wait up', as in: wait up to 7d for EVENT"},
      {P::KEYED, "expected 'by' after 'keyed', as in: keyed by hcp"},
      {P::EVENT, "expected the event's name after 'event'"},
      {P::PROFILE, "expected the profile's name after 'profile'"},
      {P::JOURNEY, "expected the journey's name after 'journey'"},
      {P::CHANNEL, "expected the channel's name after 'channel'"},
      {P::POLICY, "expected the policy's name after 'policy'"},
      {P::IMPORT, "expected a quoted path after 'import', as in: import \"std/events\""},
      {P::START, "expected the name of the journey to start after 'start'"},
      {P::EMIT, "expected an event name after 'emit', as in: emit case_created { ... }"},
      {P::LET, "expected a variable name after 'let', as in: let score = 1"},
      {P::SET, "expected a variable name after 'set', as in: set score = 2"},
      {P::AUDIENCE, "expected a profile name after 'audience', as in: audience hcp where ..."},
      {P::PRIORITY, "expected a number from 0 to 100 after 'priority'"},
      {P::VERSION, "expected a whole number after 'version'"},
      {P::CAP, "expected the channels to cap after 'cap', as in: cap email 2 per 7d"},
      {P::QUIET_HOURS, "expected a time range after 'quiet_hours', as in: quiet_hours 20:00-08:00 local"},
      {P::UNTIL, "expected a time of day such as 09:00 or a timestamp after 'until'"},
      {P::WHERE, "expected a condition after 'where'"},
      {P::ARROW, "expected a step or a { block } after '->'"},
  };
  return *table;
}

bool Contains(const antlr4::misc::IntervalSet& set, size_t t) { return set.contains(t); }

// A compact reading of an expected-token set.
std::string DescribeExpected(const antlr4::misc::IntervalSet& expected,
                             const antlr4::dfa::Vocabulary& vocabulary) {
  std::vector<std::string> parts;
  std::set<size_t> covered;
  auto group = [&](std::initializer_list<size_t> types, const char* text, size_t need) {
    size_t hits = 0;
    for (size_t t : types) hits += Contains(expected, t);
    if (hits >= need) {
      parts.push_back(text);
      covered.insert(types.begin(), types.end());
    }
  };
  group({P::SEND, P::TASK, P::NOTIFY, P::WAIT, P::IF, P::CHOOSE, P::SPLIT, P::START,
         P::EMIT, P::LET, P::SET, P::END},
        "a step (send, task, notify, wait, if, choose, split, start, emit, let, set, end)", 6);
  group({P::EVENT, P::PROFILE, P::CHANNEL, P::POLICY, P::JOURNEY},
        "a declaration (event, profile, channel, policy, journey)", 4);
  group({P::INT, P::STRING, P::LPAREN, P::LBRACKET, P::BANG, P::MINUS, P::TRUE, P::NUL},
        "an expression", 6);
  if (Contains(expected, P::IDENT) && !covered.count(P::IDENT)) {
    parts.push_back("a name");
    for (size_t t = 1; t <= P::NUL; ++t) {
      // Soft keywords are names too; don't list them one by one.
      if (t != P::IDENT && Contains(expected, t) && t < P::ARROW) {
        bool keyword_step = false;
        for (size_t s : {P::SEND, P::TASK, P::NOTIFY, P::WAIT, P::IF, P::CHOOSE, P::SPLIT,
                         P::START, P::EMIT, P::LET, P::SET, P::END, P::ON, P::AUDIENCE,
                         P::EXIT, P::GOAL, P::TITLE, P::OWNER, P::PRIORITY, P::VERSION,
                         P::REENTRY})
          keyword_step |= s == t;
        if (!keyword_step) covered.insert(t);
      }
    }
    covered.insert(P::IDENT);
  }
  for (size_t t : expected.toList()) {
    if (covered.count(t) || t == antlr4::Token::EPSILON) continue;
    if (parts.size() >= 6) {
      parts.push_back("...");
      break;
    }
    parts.push_back(DescribeTokenType(t, vocabulary));
  }
  if (parts.empty()) return {};
  std::string out = parts[0];
  for (size_t i = 1; i < parts.size(); ++i)
    out += (i + 1 == parts.size() && parts[i] != "..." ? " or " : ", ") + parts[i];
  return out;
}

std::string Quote(const std::string& text) {
  std::string shown = text.size() > 24 ? text.substr(0, 24) + "..." : text;
  std::string out;
  for (char c : shown) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return "'" + out + "'";
}

// "opened at line N" for the last '{' without a matching '}', or "".
std::string UnclosedBrace(antlr4::TokenStream* stream) {
  std::vector<antlr4::Token*> open;
  for (size_t i = 0; i < stream->size(); ++i) {
    antlr4::Token* t = stream->get(i);
    if (t->getType() == P::LBRACE) open.push_back(t);
    if (t->getType() == P::RBRACE && !open.empty()) open.pop_back();
  }
  if (open.empty()) return {};
  return "opened at line " + std::to_string(open.back()->getLine());
}

// Words people write after a number for a duration, with Tutti's unit.
const char* DurationUnitFor(std::string word) {
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> kUnits[] = {
      {"ms", "ms"},     {"millisecond", "ms"}, {"milliseconds", "ms"}, {"sec", "s"},   {"secs", "s"},
      {"second", "s"},  {"seconds", "s"},      {"min", "m"},           {"mins", "m"},  {"minute", "m"},
      {"minutes", "m"}, {"hr", "h"},           {"hrs", "h"},           {"hour", "h"},  {"hours", "h"},
      {"day", "d"},     {"days", "d"},         {"wk", "w"},            {"week", "w"},  {"weeks", "w"}};
  for (const auto& [w, unit] : kUnits)
    if (word == w) return unit;
  return nullptr;
}

// `wait 2 days`: a number followed by a unit word, just before (or at) the
// token the parser stumbled on, which is often on the next line. Returns
// the two tokens, or nulls.
std::pair<antlr4::Token*, antlr4::Token*> SpelledOutDuration(antlr4::TokenStream* stream, size_t index) {
  for (size_t back = 0; back <= 2 && back < index; ++back) {
    antlr4::Token* number = stream->get(index - back - 1);
    antlr4::Token* word = stream->get(index - back);
    if (number->getType() == P::INT && word->getType() == P::IDENT && DurationUnitFor(word->getText()) != nullptr &&
        number->getLine() == word->getLine())
      return {number, word};
  }
  return {nullptr, nullptr};
}

// Whether '==' is what was meant where the parser met `offending` ('='):
// not after `let`/`set` (a missing name), nor where ':' was expected
// (`with { name = ... }`). Elsewhere '=' follows a value in a condition.
bool WhereComparisonFits(antlr4::Recognizer* recognizer, antlr4::Token* offending) {
  auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
  if (parser == nullptr) return false;
  size_t index = offending->getTokenIndex();
  if (index == 0 || index == static_cast<size_t>(-1)) return false;
  size_t before = parser->getTokenStream()->get(index - 1)->getType();
  if (before == P::LET || before == P::SET) return false;
  try {
    antlr4::misc::IntervalSet expected = parser->getExpectedTokens();
    return !Contains(expected, P::COLON);
  } catch (...) {
    return false;
  }
}

}  // namespace

std::string DescribeTokenType(size_t type, const antlr4::dfa::Vocabulary& vocabulary) {
  switch (type) {
    case antlr4::Token::EOF: return "the end of the file";
    case P::IDENT: return "a name";
    case P::STRING: return "a string";
    case P::BYTES: return "a bytes literal";
    case P::INT: return "a number";
    case P::UINT: return "an unsigned number";
    case P::DOUBLE: return "a decimal number";
    case P::DURATION: return "a duration such as 7d";
    default: break;
  }
  std::string literal = vocabulary.getLiteralName(type);
  if (!literal.empty()) return literal;  // already quoted: 'send'
  return "a token";
}

void SyntaxErrorListener::syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending,
                                      size_t line, size_t column, const std::string& message,
                                      std::exception_ptr e) {
  SourceRange range = offending ? range_(offending) : SourceRange{};
  // One error per position: ANTLR's recovery may report the same place twice.
  if (static_cast<int64_t>(range.begin) == last_offset_) return;
  last_offset_ = range.begin;
  // One error per line: what follows a mistake on its line is mostly the
  // recovery's guesswork (`{ a: 1 b: 2 }` would also blame '2').
  if (offending != nullptr && errors_ > 0 && static_cast<int64_t>(offending->getLine()) == last_line_) return;
  if (offending != nullptr) last_line_ = static_cast<int64_t>(offending->getLine());

  std::string text;
  bool assign_for_equals = false;
  if (offending == nullptr) {
    text = "unexpected input";
  } else if (offending->getType() == P::BAD_CHAR) {
    std::string t = offending->getText();
    unsigned char u = t.empty() ? 0 : static_cast<unsigned char>(t[0]);
    text = u < 0x20 || u == 0x7f ? "unexpected control character " + Quote(t) + " in the source"
                                 : "unexpected character " + Quote(t);
  } else if (offending->getType() == P::ASSIGN && WhereComparisonFits(recognizer, offending)) {
    // '=' is only ever expected after `let NAME` and `set NAME`.
    text = "'=' does not compare: write '==' to test equality (as in: where rx.brand == \"GLIDIM\"); '=' only "
           "gives a value in let and set";
    assign_for_equals = true;
  } else if (offending->getType() == P::UNTERMINATED_STRING) {
    text = "this string is not closed: add the closing quote on the same line, or use \"\"\" for text over several lines";
  } else {
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    size_t index = offending->getTokenIndex();
    if (parser != nullptr && index != static_cast<size_t>(-1)) {
      auto [number, word] = SpelledOutDuration(parser->getTokenStream(), index);
      if (number != nullptr) {
        SourceRange at = {range_(number).begin, range_(word).end};
        if (static_cast<int64_t>(at.begin) == last_offset_) return;
        last_offset_ = at.begin;
        std::string fixed = number->getText() + DurationUnitFor(word->getText());
        Diagnostic& d = sink_.Error(Code::kDurationWords, {&source_, at}, "write a duration as one word: " + fixed + ", not '" +
                                                        number->getText() + " " + word->getText() +
                                                        "' (units: w, d, h, m, s, ms)");
        d.fixes.push_back({"Write " + fixed, at, fixed});
        if (++errors_ >= max_errors_) throw TooManySyntaxErrors{};
        return;
      }
    }
    std::string expected;
    std::string after;
    if (parser != nullptr) {
      antlr4::Token* previous = nullptr;
      auto* stream = parser->getTokenStream();
      if (index > 0 && index != static_cast<size_t>(-1)) previous = stream->get(index - 1);
      if (previous != nullptr) {
        auto it = AfterKeyword().find(previous->getType());
        if (it != AfterKeyword().end()) after = it->second;
      }
      try {
        expected = DescribeExpected(parser->getExpectedTokens(), parser->getVocabulary());
      } catch (...) {
        expected.clear();
      }
      // `{ a: 1 b: 2 }`: prediction left the list, so only '}' is named.
      if (expected == "'}'" && previous != nullptr && previous->getType() != P::LBRACE &&
          previous->getType() != P::COMMA && previous->getLine() == offending->getLine())
        expected = "',' or '}'";
    }
    // After a mistake inside a block, recovery may have closed the block
    // early: an indented step (or the block's own '}') then "expects a
    // declaration". Not a mistake of its own.
    if (errors_ > 0 && (offending->getCharPositionInLine() > 0 || offending->getType() == P::RBRACE) &&
        offending->getType() != antlr4::Token::EOF && expected.rfind("a declaration", 0) == 0)
      return;
    bool at_end = offending->getType() == antlr4::Token::EOF;
    std::string got = at_end ? "the end of the file" : Quote(offending->getText());
    std::string unclosed = at_end && parser ? UnclosedBrace(parser->getTokenStream()) : "";
    if (!unclosed.empty()) {
      text = "the file ends inside a block: add '}' to close the '{' " + unclosed;
    } else if (at_end) {
      text = "unexpected end of file; expected " + (expected.empty() ? std::string("more") : expected);
    } else if (!after.empty()) {
      text = after + ", not " + got;
    } else if (!expected.empty()) {
      text = "unexpected " + got + "; expected " + expected;
    } else {
      text = "unexpected " + got;
    }
  }
  Diagnostic& d = sink_.Error(Code::kSyntax, {&source_, range}, text);
  if (assign_for_equals) d.fixes.push_back({"Replace with '=='", range, "=="});
  if (++errors_ >= max_errors_) throw TooManySyntaxErrors{};
}

}  // namespace tutti::compiler::internal

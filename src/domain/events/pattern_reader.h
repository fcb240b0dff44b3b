// A pull reader over an event pattern's text that behaves, token for token and position for
// position, like the parser EventBridge validates patterns with: aws/event-ruler's
// JsonRuleCompiler reads the pattern through Jackson's streaming JsonParser (jackson-core 2.x,
// ReaderBasedJsonParser over the pattern String) and, on a fault, throws a JsonParseException
// whose message ends in the parser's current location:
//
//   <why>\n at [Source: (String)"<the pattern, up to 500 chars>"; line: L, column: C]
//
// That location is where the parser was, so it depends on how far each token read moved it,
// which is Jackson's (and reproduced here):
//   - a field name is read together with its colon and the START of its value: after the name
//     token the position is past the value's '{', '[' or opening quote, or past a whole number,
//     true, false or null; the value token that follows does not move it;
//   - a string value is read up to its opening quote only; reading its text (Text()) moves past
//     the closing quote (skipped by the next Next() otherwise);
//   - lines count LF, CR and CRLF between tokens (1-based); the column is 1 + the UTF-16 units
//     (Java chars) from the line's start, so "é" counts one and an emoji two.
// Syntax faults are refused in Jackson's words at Jackson's position ("Unrecognized token
// 'x': was expecting (...)", "Unexpected character (...)", "Unexpected end-of-input: ..."),
// as jackson-core 2.17/2.18 words and locates them (AWS's recorded "{'bad': ...}" answer is
// located at the quote, which only 2.17+ does; 2.16+ quotes the source only because
// event-ruler enables INCLUDE_SOURCE_IN_LOCATION).
// Deviations: a character outside the BMP seen where a token belongs counts as one unit (Jackson
// stops between its two surrogates); Java's identifier classes (which end an unrecognized
// token) are approximated outside Latin-1; an unpaired \uD800-\uDFFF escape reads as U+FFFD.
// Not thread-safe; one reader per parse. Input: valid UTF-8 (the caller checks).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::events {

enum class PatternToken {
  kEnd,  // end of input (only at the top level; inside a structure it is a fault)
  kStartObject, kEndObject, kStartArray, kEndArray, kFieldName,
  kString, kNumberInt, kNumberFloat, kTrue, kFalse, kNull,
};

// The offset of the first byte of text that is not part of valid UTF-8 (RFC 3629), or npos.
size_t InvalidUtf8At(std::string_view text);

class PatternReader {
 public:
  explicit PatternReader(std::string_view text);

  // Jackson's nextToken(). Errors: kInvalidEventPattern with the full AWS message.
  Result<PatternToken> Next();
  // The current field name (valid after kFieldName until the next name).
  const std::string& Name() const { return name_; }
  // Jackson's getText() of the current token: a string's decoded text (reading it to its
  // closing quote), a number as written, "true"/"false"/"null", "{" "}" "[" "]", or the name.
  Result<std::string> Text();
  // A number token's value.
  double Number() const;

  // event-ruler's barf(parser, why): the refusal with the parser's current location.
  Status Fail(std::string_view why) const;
  // event-ruler's `catch (IOException e) { barf(parser, e.getMessage()); }` around a list:
  // the refusal it caught, the current location appended once more.
  Status Again(const Status& caught) const;
  // Jackson's JsonLocation.toString() of the current position.
  std::string Location() const;

 private:
  struct Context {
    enum Type { kRoot, kArray, kObject } type;
    int index = -1;           // entries seen (Jackson's JsonReadContext._index)
    int line = 1, column = 0;  // where it started (1-based column of its '{' or '[')
  };

  int Peek() const;  // the code point at pos_, or -1 at the end
  int Read();        // the code point at pos_, moving past it; -1 at the end
  int Column(size_t at) const;
  // A fault at the current position, or (at_last_char) at the char just consumed.
  Status Error(std::string_view why, bool at_last_char = false) const;
  std::string LocationAt(int line, int column) const;
  static std::string CharDesc(int ch);
  Status UnexpectedChar(int ch, std::string_view comment) const;
  Status EndOfInput(std::string_view what) const;

  Result<int> SkipWsOrEnd();
  Result<int> SkipColon();
  Result<int> SkipComma(int ch);
  // Skips white space and returns the next character, consumed; -1 at the end of the text.
  Result<int> SkipWs();
  Status CloseScope(int ch);
  Result<std::string> ParseName();
  // The rest of a quoted text after its opening quote, escapes decoded. at_end: the end-of-
  // input message's tail; where: what an unescaped control character is "included in".
  Result<std::string> ReadQuoted(const char* at_end, const char* where);
  Result<int> DecodeEscape();
  Status FinishString(bool keep);
  Status MatchKeyword(std::string_view word, size_t from);
  Status InvalidToken(std::string matched);
  Status NumberChar(int ch, std::string_view comment) const;
  int CodePointAt(size_t at) const;
  Result<PatternToken> ParseNumber(int first);
  Result<PatternToken> ParseFloat(int ch, size_t start, size_t p, bool negative);
  Result<PatternToken> ParseNumberSlowly(bool negative, size_t start);
  Result<PatternToken> OddValue(int ch);
  Result<PatternToken> InvalidNumberStart(int ch, bool negative);
  Status VerifyRootSpace(int ch);
  Status Mismatched(int ch, char expected) const;
  const char* TypeDesc() const;
  void UpdateTokenLocation();

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  int token_line_ = 1, token_column_ = 0;
  std::vector<Context> contexts_;
  PatternToken token_ = PatternToken::kEnd;
  PatternToken next_ = PatternToken::kEnd;  // the value token read along with a field name
  bool incomplete_ = false;  // a string value not yet read past its closing quote
  std::string name_;
  std::string value_;  // a finished string's text, or a number as written
};

}  // namespace arcana::domain::events

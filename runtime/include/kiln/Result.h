//===- Result.h - A value or an error message -------------------*- C++ -*-===//
//
// The runtime reports failures (a bad data file, a loss that became NaN) as
// values, not exceptions: a Result<T> holds either a T or a one-line message
// that already names the file and record it is about. Callers print it after
// "error: " and exit non-zero.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RESULT_H
#define KILN_RESULT_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace kiln {

/// A failure: a lowercase message with no trailing period, e.g.
/// "data/train-labels-idx1-ubyte: record 17: label 12 out of range [0, 10)".
class Error {
public:
  explicit Error(std::string message) : text(std::move(message)) {}
  const std::string &message() const { return text; }

private:
  std::string text;
};

/// Either a T or an Error. Test with `if (!result)`, then read the message
/// with error() or the value with `*result` / `result->`.
template <typename T> class Result {
public:
  Result(T value) : value(std::move(value)) {}
  Result(Error error) : failure(std::move(error)) {}

  explicit operator bool() const { return value.has_value(); }
  bool failed() const { return !value.has_value(); }

  T &operator*() & { return *checkedValue(); }
  const T &operator*() const & { return *checkedValue(); }
  T &&operator*() && { return std::move(*checkedValue()); }
  T *operator->() { return checkedValue(); }
  const T *operator->() const { return checkedValue(); }

  /// The message of a failed result.
  const std::string &error() const {
    assert(failure && "error() on a successful Result");
    return failure->message();
  }
  /// Moves the Error out of a failed result, to pass it up as another Result.
  Error takeError() {
    assert(failure && "takeError() on a successful Result");
    return std::move(*failure);
  }

private:
  T *checkedValue() {
    assert(value && "value of a failed Result");
    return &*value;
  }
  const T *checkedValue() const {
    assert(value && "value of a failed Result");
    return &*value;
  }

  std::optional<T> value;
  std::optional<Error> failure;
};

/// Success or an Error, for operations that produce no value.
template <> class Result<void> {
public:
  Result() = default;
  Result(Error error) : failure(std::move(error)) {}

  explicit operator bool() const { return !failure.has_value(); }
  bool failed() const { return failure.has_value(); }
  const std::string &error() const {
    assert(failure && "error() on a successful Result");
    return failure->message();
  }
  Error takeError() {
    assert(failure && "takeError() on a successful Result");
    return std::move(*failure);
  }

private:
  std::optional<Error> failure;
};

using Status = Result<void>;

} // namespace kiln

#endif // KILN_RESULT_H

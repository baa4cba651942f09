//===- Json.h - JSON strings the runtime writes -----------------*- C++ -*-===//
//
// The one JSON string writer of the runtime's files (checkpoint headers,
// training histories) and of names in messages. Reading JSON is
// nlohmann-json's job (see SafetensorsHeader.cpp). Internal to the runtime;
// not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_JSON_H
#define KILN_RUNTIME_IO_JSON_H

#include <string>
#include <string_view>

namespace kiln {

/// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF), which is what JSON and safetensors require.
bool isValidUtf8(std::string_view text);

/// Appends `text` as a JSON string literal: quotes, backslashes and control
/// characters (DEL included) escaped, everything else (UTF-8 included) as is.
void appendJsonString(std::string &out, std::string_view text);

/// `text` as a JSON string literal; also how messages show a name, so that
/// a message stays on one line whatever the name holds.
std::string jsonString(std::string_view text);

} // namespace kiln

#endif // KILN_RUNTIME_IO_JSON_H

// One options object as the user gave it. Each read names the option by its path ("options.tile.size") and
// throws a TypeError for a value of the wrong kind, worded as lib/validate.ts words its checks; an option left
// out keeps the field's value, the core's default. Ranges are the core's (each options struct's validate()).
// finish() refuses the keys no read asked for: usually typos.
#pragma once

#include <napi.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace unet::js {

class OptionReader {
 public:
  // undefined reads as an empty object; anything but a plain object is a TypeError.
  OptionReader(const Napi::Value& value, std::string path);

  const std::string& path() const { return path_; }
  std::string path(const char* key) const { return path_ + "." + key; }
  bool has(const char* key);
  Napi::Value take(const char* key);  // the raw value, counted as read

  void read(const char* key, bool& field);
  void read(const char* key, double& field);
  void read(const char* key, int64_t& field);
  void read(const char* key, uint64_t& field);
  void read(const char* key, std::string& field);
  void read(const char* key, std::vector<double>& field);               // a number, or an array of numbers
  void read(const char* key, std::vector<int64_t>& field);              // an integer, or an array of integers
  void read(const char* key, std::vector<std::vector<double>>& field);  // an array of such
  void read(const char* key, std::optional<double>& field);
  void read(const char* key, std::optional<int64_t>& field);

  void finish() const;

 private:
  Napi::Env env_;
  Napi::Object object_;
  bool empty_;
  std::string path_;
  std::vector<std::string> asked_;
};

// "got X" as lib/validate.ts describes a value: 'text', 2.5, null, an array, Object.
std::string describeValue(const Napi::Value& value);

[[noreturn]] void throwTypeError(Napi::Env env, const std::string& name, const std::string& expected,
                                 const Napi::Value& value);

}  // namespace unet::js

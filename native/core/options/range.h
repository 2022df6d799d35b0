// An option's range, checked where the core defines it: a value outside throws std::invalid_argument (a
// RangeError in JS) that names the option by its path and says what was expected, in the words lib/ uses for
// the checks only JS can make: "options.depth: expected an integer from 1 to 6, got 0".
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace unet::range {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A number as JavaScript's String() writes it: 0.1, 1e-7, 1000000, Infinity.
std::string jsNumber(double value);

void integer(const std::string& name, int64_t value, int64_t min, int64_t max);
void number(const std::string& name, double value, double min, double max, bool minExclusive = false,
            bool maxExclusive = false);
void atLeast(const std::string& name, double value, double min);  // [min, Infinity]
void probability(const std::string& name, double value);          // [0, 1]

// 'a' | 'b' | 'c', and the check of a name against it.
std::string choices(const std::vector<const char*>& allowed);
void oneOf(const std::string& name, const std::string& value, const std::vector<const char*>& allowed);

// An enum's values by name, one table serving both directions.
template <typename Enum>
struct Named {
  Enum value;
  const char* name;
};

template <typename Enum, size_t N>
Enum parse(const Named<Enum> (&table)[N], const std::string& name, const std::string& path) {
  for (const auto& entry : table) {
    if (name == entry.name) return entry.value;
  }
  std::string allowed;
  for (const auto& entry : table) allowed += (allowed.empty() ? "'" : " | '") + std::string(entry.name) + "'";
  throw std::invalid_argument(path + ": expected " + allowed + ", got '" + name + "'");
}

template <typename Enum, size_t N>
const char* nameOf(const Named<Enum> (&table)[N], Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return table[0].name;
}

}  // namespace unet::range

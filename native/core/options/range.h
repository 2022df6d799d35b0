// An option's range, checked where the core defines it: a value outside throws std::invalid_argument (a
// RangeError in JS) that names the option by its path and says what was expected, in the words lib/ uses for
// the checks only JS can make: "options.depth: expected an integer from 1 to 6, got 0".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

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
std::string choices(std::initializer_list<const char*> allowed);
void oneOf(const std::string& name, const std::string& value, std::initializer_list<const char*> allowed);

}  // namespace unet::range

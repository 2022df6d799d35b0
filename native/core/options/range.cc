#include "core/options/range.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace unet::range {

std::string jsNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return "0";
  // The shortest digits that read back as `value`, then JavaScript's layout: plain from 1e-7 to below 1e21.
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific).ptr;
  std::string scientific(buffer, end);
  const auto e = scientific.find('e');
  std::string digits = scientific.substr(0, e);
  const int exponent = std::atoi(scientific.c_str() + e + 1);
  const bool negative = digits[0] == '-';
  if (negative) digits.erase(0, 1);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string text;
  if (exponent >= 21 || exponent < -6) {
    text = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + "e" + (exponent > 0 ? "+" : "-") +
           std::to_string(std::abs(exponent));
  } else if (exponent < 0) {
    text = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    text = digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    text = digits.substr(0, static_cast<size_t>(exponent) + 1) + "." + digits.substr(static_cast<size_t>(exponent) + 1);
  }
  return negative ? "-" + text : text;
}

void integer(const std::string& name, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    throw std::invalid_argument(name + ": expected an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got " + std::to_string(value));
  }
}

void number(const std::string& name, double value, double min, double max, bool minExclusive, bool maxExclusive) {
  const bool below = minExclusive ? value <= min : value < min;
  const bool above = maxExclusive ? value >= max : value > max;
  if (below || above || !std::isfinite(value)) {
    throw std::invalid_argument(name + ": expected a number in " + (minExclusive ? "(" : "[") + jsNumber(min) + ", " +
                                jsNumber(max) + (maxExclusive ? ")" : "]") + ", got " + jsNumber(value));
  }
}

void atLeast(const std::string& name, double value, double min) {
  number(name, value, min, kInfinity);
}

void probability(const std::string& name, double value) {
  number(name, value, 0, 1);
}

std::string choices(const std::vector<const char*>& allowed) {
  std::string text;
  for (const char* choice : allowed) text += (text.empty() ? "'" : " | '") + std::string(choice) + "'";
  return text;
}

void oneOf(const std::string& name, const std::string& value, const std::vector<const char*>& allowed) {
  for (const char* choice : allowed) {
    if (value == choice) return;
  }
  throw std::invalid_argument(name + ": expected " + choices(allowed) + ", got '" + value + "'");
}

}  // namespace unet::range

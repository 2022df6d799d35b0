// A shape as messages write it, [2, 1, 64, 64], the way lib/tensor.ts's shapeText does.
#pragma once

#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <string>

namespace unet {

inline std::string shapeText(c10::IntArrayRef sizes) {
  std::string text = "[";
  for (size_t i = 0; i < sizes.size(); ++i) text += (i ? ", " : "") + std::to_string(sizes[i]);
  return text + "]";
}

}  // namespace unet

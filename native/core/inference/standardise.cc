#include "core/inference/standardise.h"

#include <cmath>
#include <stdexcept>

namespace unet {

// JavaScript rounds each product and sum: no fused multiply-add (the default of GCC, and of Clang within an
// expression, where the target has one, as arm64 does).
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
torch::Tensor
standardiseImages(const torch::Tensor& images) {
#ifdef __clang__
#pragma clang fp contract(off)
#endif
  if (images.dim() != 4) throw std::invalid_argument("images: expected N x C x H x W to standardise");
  const auto source = images.contiguous();
  auto out = torch::empty(source.sizes(), torch::TensorOptions().dtype(torch::kFloat32));
  float* data = out.data_ptr<float>();
  const int64_t count = source.numel();
  // Element by element, as JavaScript converts: x / 255 in double, each value rounded to float32 once.
  if (source.scalar_type() == torch::kUInt8) {
    const uint8_t* pixels = source.data_ptr<uint8_t>();
    for (int64_t i = 0; i < count; ++i) data[i] = static_cast<float>(static_cast<double>(pixels[i]) / 255.0);
  } else if (source.scalar_type() == torch::kFloat64) {
    const double* values = source.data_ptr<double>();
    for (int64_t i = 0; i < count; ++i) data[i] = static_cast<float>(values[i]);
  } else if (source.scalar_type() == torch::kFloat32) {
    out.copy_(source);
  } else {
    throw std::invalid_argument("images: expected uint8 pixels or float images to standardise");
  }
  const int64_t plane = images.size(2) * images.size(3);
  for (int64_t start = 0; start < out.numel(); start += plane) {
    float* values = data + start;
    double sum = 0;
    for (int64_t i = 0; i < plane; ++i) sum += values[i];
    const double mean = sum / static_cast<double>(plane);
    double squares = 0;
    for (int64_t i = 0; i < plane; ++i) squares += (values[i] - mean) * (values[i] - mean);
    double deviation = std::sqrt(squares / static_cast<double>(plane));
    if (deviation == 0 || std::isnan(deviation)) deviation = 1;  // TypeScript's `|| 1`
    for (int64_t i = 0; i < plane; ++i) values[i] = static_cast<float>((values[i] - mean) / deviation);
  }
  return out;
}

}  // namespace unet

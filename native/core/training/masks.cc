#include "core/training/masks.h"

#include <algorithm>
#include <stdexcept>

#include "core/model/unet.h"

namespace unet {

torch::Tensor prepareMasks(const torch::Tensor& masks, int64_t classes, const torch::Tensor& images,
                           const std::string& name) {
  auto prepared = masks.dim() == 3 ? masks.unsqueeze(1) : masks;
  if (prepared.dim() != 4 || prepared.size(1) != 1 || prepared.size(0) != images.size(0) ||
      prepared.size(2) != images.size(2) || prepared.size(3) != images.size(3)) {
    throw std::invalid_argument(name + ": expected " + std::to_string(images.size(0)) + " masks of " +
                                std::to_string(images.size(2)) + "x" + std::to_string(images.size(3)) +
                                " (N x 1 x H x W or N x H x W, matching the images)");
  }
  requireFinite(prepared, name);
  const auto low = prepared.min().item<double>(), high = prepared.max().item<double>();
  const bool integral = torch::equal(prepared, prepared.round());
  if (!integral || low < 0 || high > static_cast<double>(std::max<int64_t>(classes - 1, 1))) {
    throw std::invalid_argument(name + ": values must be class indices in [0, " +
                                std::to_string(std::max<int64_t>(classes, 2)) + ")" +
                                (classes == 1 ? " (0 or 1 for one class)" : "") + "; found " +
                                std::to_string(integral ? (low < 0 ? low : high) : prepared.max().item<double>()));
  }
  return classes == 1 ? prepared.to(images.device(), torch::kFloat32) : prepared.to(images.device(), torch::kLong);
}

}  // namespace unet

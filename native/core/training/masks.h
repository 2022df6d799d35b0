// Masks as the losses take them, checked against the images they go with.
#pragma once

#include <torch/torch.h>

#include <string>

namespace unet {

// Float 0/1 N1HW for one class, int64 class indices N1HW for more, on the images' device. Throws
// std::invalid_argument naming `name` for another shape or a value that is not a class index.
torch::Tensor prepareMasks(const torch::Tensor& masks, int64_t classes, const torch::Tensor& images,
                           const std::string& name);

}  // namespace unet

// The CLI's preprocessing on the compute thread (predict's standardise option): each image's channels at mean 0
// and standard deviation 1, so that a server hands over the decoded pixels as they come and its event loop runs
// no per-pixel loop.
#pragma once

#include <torch/torch.h>

namespace unet {

// images: N x C x H x W on the CPU, uint8 pixels (read as value / 255, as lib/data/image_io.ts decodeImage does)
// or float. The float32 result equals lib/data/preprocess.ts standardise's bit for bit: the same float32 inputs,
// the same sums in the same order in double, a flat channel (standard deviation 0) only losing its mean.
torch::Tensor standardiseImages(const torch::Tensor& images);

}  // namespace unet

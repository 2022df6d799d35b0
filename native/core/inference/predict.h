// Inference: what model.predict runs.
// - a frozen twin of the model for eval: batch norm folded into the convolutions it follows;
// - any image size (reflect-padded to a multiple of 2^depth by UNet::forward, cropped back);
// - MONAI's sliding_window_inference for large images (step = size x (1 - overlap), Gaussian or constant
//   blending of the overlaps);
// - flip test-time augmentation; logits, probabilities or class-index masks out, masks post-processed on request.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "core/inference/inference_net.h"
#include "core/postprocess/postprocess.h"
#include "core/runtime/precision.h"

namespace unet {

enum class PredictOutput { Mask, Probabilities, Logits };
enum class TileBlend { Gaussian, Constant };

// "mask" | "probabilities" | "logits"; "gaussian" | "constant". A bad name throws naming `path`.
PredictOutput parsePredictOutput(const std::string& name, const std::string& path = "output");
TileBlend parseTileBlend(const std::string& name, const std::string& path = "tile.blend");
const char* predictOutputName(PredictOutput output);  // the inverses of the two above
const char* tileBlendName(TileBlend blend);

struct PredictOptions {
  PredictOutput output = PredictOutput::Mask;
  double threshold = 0.5;  // one class: probability at or above it is foreground
  int64_t tileSize = 0;    // 0 = the whole image at once
  double tileOverlap = 0.25;
  TileBlend blend = TileBlend::Gaussian;
  double sigmaScale = 0.125;                // Gaussian blending: sigma = sigmaScale x tileSize
  bool ttaFlips = false;                    // average over the identity, horizontal, vertical and both flips
  std::optional<int64_t> maxPixels;         // refuse batches of more pixels (N x H x W) than this; none = no limit
  Precision precision = kDefaultPrecision;  // of the network; tiling, blending and TTA's mean run in fp32
  PostprocessOptions postprocess;           // applied to the mask on the CPU; output mask only
  bool standardise = false;                 // standardiseImages first; the images may then be uint8 pixels

  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

// MONAI's compute_importance_map: a tileSize x tileSize map (Gaussian: sigma = sigmaScale x size, clamped
// below at max(min, 1e-3); constant: ones).
torch::Tensor importanceMap(int64_t tileSize, TileBlend blend, double sigmaScale, const torch::TensorOptions& options);

// MONAI's dense_patch_slices start offsets along one dimension.
std::vector<int64_t> tileStarts(int64_t imageSize, int64_t tileSize, double overlap);

// images: N x C x H x W float on the model's device, checked by the caller (Model::predict). Runs under inference
// mode.
torch::Tensor predict(InferenceNet& net, const torch::Tensor& images, const PredictOptions& options);

// The mask of N x C x H x W probabilities: one channel, probability >= options.threshold; several, the likeliest
// class (uint8 up to 256 classes, int32 beyond); N x 1 x H x W, then options.postprocess applied.
torch::Tensor maskOf(const torch::Tensor& probabilities, const PredictOptions& options);

}  // namespace unet

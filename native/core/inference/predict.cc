#include "core/inference/predict.h"

#include <cmath>
#include <stdexcept>

#include "core/inference/cpu_block_cache.h"
#include "core/options/range.h"

namespace unet {

namespace {

const range::Named<PredictOutput> kOutputs[] = {
    {PredictOutput::Mask, "mask"}, {PredictOutput::Probabilities, "probabilities"}, {PredictOutput::Logits, "logits"}};
const range::Named<TileBlend> kBlends[] = {{TileBlend::Gaussian, "gaussian"}, {TileBlend::Constant, "constant"}};

}  // namespace

PredictOutput parsePredictOutput(const std::string& name, const std::string& path) {
  return range::parse(kOutputs, name, path);
}

TileBlend parseTileBlend(const std::string& name, const std::string& path) {
  return range::parse(kBlends, name, path);
}

const char* predictOutputName(PredictOutput output) {
  return range::nameOf(kOutputs, output);
}

const char* tileBlendName(TileBlend blend) {
  return range::nameOf(kBlends, blend);
}

void PredictOptions::validate(const std::string& path) const {
  range::probability(path + ".threshold", threshold);
  if (tileSize != 0) range::integer(path + ".tile.size", tileSize, 1, int64_t{1} << 20);
  range::number(path + ".tile.overlap", tileOverlap, 0, 1, false, true);
  range::number(path + ".tile.sigmaScale", sigmaScale, 0, range::kInfinity, true);
  if (maxPixels) range::integer(path + ".maxPixels", *maxPixels, 1, int64_t{9007199254740991});
  postprocess.validate(path + ".postprocess", 2);
  if (postprocess.any() && output != PredictOutput::Mask) {
    throw std::invalid_argument(path + ".postprocess: needs output 'mask', got output '" + predictOutputName(output) +
                                "'");
  }
}

torch::Tensor importanceMap(int64_t tileSize, TileBlend blend, double sigmaScale, const torch::TensorOptions& options) {
  if (blend == TileBlend::Constant) return torch::ones({tileSize, tileSize}, options);
  const double sigma = static_cast<double>(tileSize) * sigmaScale;
  const double half = static_cast<double>(tileSize - 1) / 2.0;
  const auto x =
      torch::arange(-half, half + 1, 1.0, torch::TensorOptions().dtype(torch::kFloat32)).slice(0, 0, tileSize);
  const auto gaussian = torch::exp(x.pow(2) / (-2 * sigma * sigma));
  auto map = gaussian.unsqueeze(1) * gaussian.unsqueeze(0);
  const double floor = std::max(map.min().item<double>(), 1e-3);  // a zero weight would divide by zero
  return map.clamp_min(floor).to(options);
}

std::vector<int64_t> tileStarts(int64_t imageSize, int64_t tileSize, double overlap) {
  // MONAI: _get_scan_interval, then dense_patch_slices.
  const int64_t interval =
      tileSize == imageSize ? tileSize
                            : std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(tileSize) * (1 - overlap)));
  const int64_t count = static_cast<int64_t>(std::ceil(static_cast<double>(imageSize) / static_cast<double>(interval)));
  int64_t tiles = 1;
  for (int64_t d = 0; d < count; ++d) {
    if (d * interval + tileSize >= imageSize) {
      tiles = d + 1;
      break;
    }
  }
  std::vector<int64_t> starts;
  for (int64_t index = 0; index < tiles; ++index) {
    const int64_t start = index * interval;
    starts.push_back(start - std::max<int64_t>(start + tileSize - imageSize, 0));
  }
  return starts;
}

namespace {

torch::Tensor tiledLogits(InferenceNet& net, const torch::Tensor& images, const PredictOptions& options) {
  const int64_t tile = options.tileSize, height = images.size(2), width = images.size(3);
  if (height < tile || width < tile) {
    throw std::invalid_argument("tile.size: " + std::to_string(tile) + " is larger than the image (" +
                                std::to_string(height) + "x" + std::to_string(width) + ")");
  }
  const auto importance = importanceMap(tile, options.blend, options.sigmaScale, images.options());
  auto output = torch::zeros({images.size(0), net.options().classes, height, width}, images.options());
  auto weight = torch::zeros({1, 1, height, width}, images.options());
  using torch::indexing::Slice;
  for (const int64_t top : tileStarts(height, tile, options.tileOverlap)) {
    for (const int64_t left : tileStarts(width, tile, options.tileOverlap)) {
      const std::vector<torch::indexing::TensorIndex> window = {Slice(), Slice(), Slice(top, top + tile),
                                                                Slice(left, left + tile)};
      output.index(window).add_(net.forward(images.index(window)) * importance);
      weight.index(window).add_(importance);
    }
  }
  return output / weight;
}

torch::Tensor logitsOf(InferenceNet& net, const torch::Tensor& images, const PredictOptions& options) {
  return options.tileSize > 0 ? tiledLogits(net, images, options) : net.forward(images);
}

}  // namespace

torch::Tensor predict(InferenceNet& net, const torch::Tensor& images, const PredictOptions& options) {
  options.validate();
  const int64_t pixels = images.size(0) * images.size(2) * images.size(3);
  if (options.maxPixels && pixels > *options.maxPixels) {
    throw std::invalid_argument("images: " + std::to_string(pixels) +
                                " pixels (N x H x W) exceed maxPixels = " + std::to_string(*options.maxPixels));
  }
  c10::InferenceMode inference;
  CpuBlockCache::Scope reuse;  // the same activation sizes every call: reuse their memory
  // Scores are averaged over the flips in the domain asked for: logits, or probabilities (for masks too).
  const bool wantLogits = options.output == PredictOutput::Logits;
  const auto scoresOf = [&](const torch::Tensor& x) {
    const auto logits = logitsOf(net, x, options);
    if (wantLogits) return logits;
    return logits.size(1) == 1 ? torch::sigmoid(logits) : torch::softmax(logits, 1);
  };
  torch::Tensor scores = scoresOf(images);
  if (options.ttaFlips) {
    for (const std::vector<int64_t>& dims : {std::vector<int64_t>{3}, {2}, {2, 3}}) {
      scores = scores + scoresOf(images.flip(dims)).flip(dims);  // each flip undone before averaging
    }
    scores = scores / 4.0;
  }
  if (options.output != PredictOutput::Mask) return scores;
  return maskOf(scores, options);
}

torch::Tensor maskOf(const torch::Tensor& probabilities, const PredictOptions& options) {
  const auto mask =
      probabilities.size(1) == 1
          ? (probabilities >= options.threshold).to(torch::kUInt8)
          : probabilities.argmax(1, true).to(probabilities.size(1) <= 256 ? torch::kUInt8 : torch::kInt32);
  if (!options.postprocess.any()) return mask;
  return postprocess(mask.to(torch::kCPU), options.postprocess, "options.postprocess");
}

}  // namespace unet

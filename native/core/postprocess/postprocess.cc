// Differences from MONAI besides those postprocess.h names: a one-hot mask's channel 0 is the background for all
// three transforms unless labels lists it (MONAI's RemoveSmallObjects processes it too, and labels the channel
// axis as a spatial one, which joins diagonal neighbours in adjacent channels; its FillHoles never fills it);
// inside is nonzero everywhere (MONAI's KeepLargestConnectedComponent reads > 0, and == 1 for a union); an image
// wholly one class smaller than minSize goes (MONAI's returns a one-valued image as it is).
#include "core/postprocess/postprocess.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include "core/options/range.h"
#include "core/options/shape_text.h"
#include "core/postprocess/components.h"

namespace unet {

namespace {

constexpr int64_t kLargestLabel = std::numeric_limits<int32_t>::max();

void validateShared(const std::optional<int64_t>& connectivity, const std::vector<int64_t>& labels,
                    const std::string& path, int64_t spatialDims) {
  if (connectivity) {
    validateConnectivity(*connectivity, path + ".connectivity");
    if (spatialDims != 0) validateConnectivity(*connectivity, spatialDims, path + ".connectivity");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    range::integer(path + ".labels[" + std::to_string(i) + "]", labels[i], 0, kLargestLabel);
  }
}

// A mask as the transforms read it: N x C x elements on the CPU, and the extent of one image.
struct Mask {
  torch::Tensor values;
  Extent extent;
  int64_t images() const { return values.size(0); }
  int64_t channels() const { return values.size(1); }
  bool oneHot() const { return channels() > 1; }
};

Mask readMask(const torch::Tensor& mask) {
  if (mask.dim() < 3 || mask.dim() > 5) {
    throw std::invalid_argument(
        "mask: expected N x H x W or N x 1 x spatial (class indices), or N x C x spatial (one-hot), with 2 or 3 "
        "spatial dimensions, got shape " +
        shapeText(mask.sizes()));
  }
  if (mask.is_complex()) throw std::invalid_argument("mask: expected real values, got complex ones");
  const auto batched = mask.dim() == 3 ? mask.unsqueeze(1) : mask;
  if (batched.size(1) == 0) throw std::invalid_argument("mask: expected at least one channel, got 0");
  Extent extent;
  extent.spatialDims = batched.dim() - 2;
  extent.depth = extent.spatialDims == 3 ? batched.size(2) : 1;
  extent.height = batched.size(-2);
  extent.width = batched.size(-1);
  if (extent.elements() > kLargestLabel) {
    throw std::invalid_argument("mask: at most 2147483647 elements per image, got " +
                                std::to_string(extent.elements()));
  }
  const auto values =
      batched.to(torch::kCPU).contiguous().reshape({batched.size(0), batched.size(1), extent.elements()});
  return {values, extent};
}

// A label map's values as int32 N x elements, refusing what is not a class index.
torch::Tensor classIndices(const Mask& mask) {
  const auto& values = mask.values;
  if (values.numel() == 0) return torch::zeros({mask.images(), mask.extent.elements()}, torch::kInt32);
  if (values.is_floating_point()) {
    const auto fractional = values.ne(values.round()).logical_or(values.isfinite().logical_not());
    if (fractional.any().item<bool>()) {
      throw std::invalid_argument("mask: a one-channel mask holds class indices (integers), got " +
                                  range::jsNumber(values.masked_select(fractional)[0].item<double>()));
    }
  }
  if (values.scalar_type() != torch::kBool) {
    const auto [low, high] = torch::aminmax(values);
    const double lowest = low.item<double>(), highest = high.item<double>();
    if (lowest < 0 || highest > double(kLargestLabel)) {
      throw std::invalid_argument("mask: expected class indices from 0 to 2147483647, got " +
                                  range::jsNumber(lowest < 0 ? lowest : highest));
    }
  }
  // a copy: the transforms write into it, and the input may be the caller's memory
  return values.to(torch::kInt32, false, true).reshape({mask.images(), -1});
}

// The class indices back in the input's shape and dtype.
torch::Tensor fromClassIndices(const torch::Tensor& indices, const torch::Tensor& input) {
  return indices.reshape(input.sizes()).to(input.scalar_type());
}

// Which label values a label-map transform processes: every one but 0 when none are listed.
class LabelSet {
 public:
  explicit LabelSet(std::vector<int64_t> labels) : listed_(std::move(labels)) {
    std::sort(listed_.begin(), listed_.end());
  }
  bool contains(int32_t label) const {
    return label != 0 && (listed_.empty() || std::binary_search(listed_.begin(), listed_.end(), int64_t{label}));
  }
  bool all() const { return listed_.empty(); }

 private:
  std::vector<int64_t> listed_;
};

// The one-hot channels a transform processes: every one but 0 when none are listed.
std::vector<int64_t> channelsOf(const Mask& mask, const std::vector<int64_t>& labels, const std::string& path) {
  if (labels.empty()) {
    std::vector<int64_t> channels(static_cast<size_t>(mask.channels() - 1));
    std::iota(channels.begin(), channels.end(), 1);
    return channels;
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    range::integer(path + ".labels[" + std::to_string(i) + "]", labels[i], 0, mask.channels() - 1);
  }
  std::vector<int64_t> channels = labels;
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  return channels;
}

// Which components `drop` removes, as the labels to paint: 0 for those, their own for the rest.
template <typename Drop>
std::vector<int32_t> dropped(const Components& components, Drop drop) {
  std::vector<int32_t> newLabel = components.label;
  for (int64_t c = 0; c < components.count(); ++c) {
    if (drop(components, c)) newLabel[c] = 0;
  }
  return newLabel;
}

// The rule of a removing transform: which components of one image go.
using DropRule = std::function<std::vector<int32_t>(const Components&)>;

DropRule keepLargestRule() {
  return [](const Components& components) {
    std::unordered_map<int32_t, int64_t> largest;
    for (int64_t c = 0; c < components.count(); ++c) {
      auto& size = largest[components.label[c]];
      size = std::max(size, components.size[c]);
    }
    return dropped(components, [&](const Components& all, int64_t c) { return all.size[c] < largest[all.label[c]]; });
  };
}

DropRule smallObjectsRule(int64_t minSize) {
  return [minSize](const Components& components) {
    return dropped(components, [&](const Components& all, int64_t c) { return all.size[c] < minSize; });
  };
}

// Removes components from every image of a label map: each class's (independent) or the union's of the classes
// processed; the others' elements are left as they are.
torch::Tensor removeFromLabelMap(const torch::Tensor& input, const Mask& mask, int64_t connectivity, bool independent,
                                 const LabelSet& labels, const DropRule& rule) {
  auto indices = classIndices(mask);
  const Extent extent = mask.extent;
  const int64_t elements = extent.elements();
  int32_t* data = indices.data_ptr<int32_t>();
  at::parallel_for(0, mask.images(), 1, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> foreground;
    for (int64_t n = begin; n < end; ++n) {
      int32_t* image = data + n * elements;
      const int32_t* processed = image;
      if (!independent || !labels.all()) {
        foreground.resize(size_t(elements));
        for (int64_t i = 0; i < elements; ++i) {
          const bool in = labels.contains(image[i]);
          foreground[i] = in ? (independent ? image[i] : 1) : 0;
        }
        processed = foreground.data();
      }
      const auto components = connectedComponents(processed, extent, connectivity, false);
      paintComponents(components, rule(components), extent, image);
    }
  });
  return fromClassIndices(indices, input);
}

// One-hot: the elements each channel keeps (inside and kept), from `inside` (N x C x elements, uint8).
torch::Tensor removeFromOneHot(const Mask& mask, const torch::Tensor& inside, int64_t connectivity, bool independent,
                               const std::vector<int64_t>& channels, const DropRule& rule) {
  auto kept = inside.clone();
  const Extent extent = mask.extent;
  const int64_t elements = extent.elements(), channelCount = mask.channels();
  uint8_t* data = kept.data_ptr<uint8_t>();
  const auto plane = [&](int64_t n, int64_t c) { return data + (n * channelCount + c) * elements; };
  if (independent) {
    const auto count = static_cast<int64_t>(channels.size());
    at::parallel_for(0, mask.images() * count, 1, [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        uint8_t* channel = plane(item / count, channels[size_t(item % count)]);
        const auto components = connectedComponents(channel, extent, connectivity, false);
        paintComponents(components, rule(components), extent, channel);
      }
    });
    return kept;
  }
  at::parallel_for(0, mask.images(), 1, [&](int64_t begin, int64_t end) {
    std::vector<uint8_t> either(static_cast<size_t>(elements));
    for (int64_t n = begin; n < end; ++n) {
      std::fill(either.begin(), either.end(), 0);
      for (int64_t c : channels) {
        const uint8_t* channel = plane(n, c);
        for (int64_t i = 0; i < elements; ++i) either[i] |= channel[i];
      }
      const auto components = connectedComponents(either.data(), extent, connectivity, false);
      paintComponents(components, rule(components), extent, either.data());
      for (int64_t c : channels) {
        uint8_t* channel = plane(n, c);
        for (int64_t i = 0; i < elements; ++i) channel[i] &= either[i];
      }
    }
  });
  return kept;
}

int64_t connectivityOr(const std::optional<int64_t>& connectivity, int64_t fallback) {
  return connectivity ? *connectivity : fallback;
}

torch::Tensor removeComponents(const torch::Tensor& input, int64_t connectivity, bool independent,
                               const std::vector<int64_t>& labels, const std::string& path, const DropRule& rule) {
  const Mask mask = readMask(input);
  validateConnectivity(connectivity, mask.extent.spatialDims, path + ".connectivity");
  if (!mask.oneHot()) return removeFromLabelMap(input, mask, connectivity, independent, LabelSet(labels), rule);
  const auto inside = mask.values.ne(0).to(torch::kUInt8).contiguous();
  const auto kept =
      removeFromOneHot(mask, inside, connectivity, independent, channelsOf(mask, labels, path), rule).to(torch::kBool);
  return mask.values.masked_fill(inside.to(torch::kBool).logical_and(kept.logical_not()), 0).reshape(input.sizes());
}

// A mask's spatial dimensions as readMask reads them, for the default connectivity.
int64_t spatialDimsOf(const torch::Tensor& mask) {
  return mask.dim() == 5 ? 3 : 2;
}

}  // namespace

void KeepLargestComponentOptions::validate(const std::string& path, int64_t spatialDims) const {
  validateShared(connectivity, labels, path, spatialDims);
}

void FillHolesOptions::validate(const std::string& path, int64_t spatialDims) const {
  validateShared(connectivity, labels, path, spatialDims);
}

void RemoveSmallObjectsOptions::validate(const std::string& path, int64_t spatialDims) const {
  range::integer(path + ".minSize", minSize, 1, int64_t{9007199254740991});
  validateShared(connectivity, labels, path, spatialDims);
}

void PostprocessOptions::validate(const std::string& path, int64_t spatialDims) const {
  if (removeSmallObjects) removeSmallObjects->validate(path + ".removeSmallObjects", spatialDims);
  if (keepLargestComponent) keepLargestComponent->validate(path + ".keepLargestComponent", spatialDims);
  if (fillHoles) fillHoles->validate(path + ".fillHoles", spatialDims);
}

torch::Tensor keepLargestComponent(const torch::Tensor& mask, const KeepLargestComponentOptions& options,
                                   const std::string& path) {
  options.validate(path);
  const int64_t connectivity =
      connectivityOr(options.connectivity, KeepLargestComponentOptions::defaultConnectivity(spatialDimsOf(mask)));
  return removeComponents(mask, connectivity, options.independent, options.labels, path, keepLargestRule());
}

torch::Tensor removeSmallObjects(const torch::Tensor& mask, const RemoveSmallObjectsOptions& options,
                                 const std::string& path) {
  options.validate(path);
  const int64_t connectivity =
      connectivityOr(options.connectivity, RemoveSmallObjectsOptions::defaultConnectivity(spatialDimsOf(mask)));
  return removeComponents(mask, connectivity, options.independent, options.labels, path,
                          smallObjectsRule(options.minSize));
}

torch::Tensor fillHoles(const torch::Tensor& input, const FillHolesOptions& options, const std::string& path) {
  options.validate(path);
  const Mask mask = readMask(input);
  const Extent extent = mask.extent;
  const int64_t connectivity =
      connectivityOr(options.connectivity, FillHolesOptions::defaultConnectivity(extent.spatialDims));
  validateConnectivity(connectivity, extent.spatialDims, path + ".connectivity");
  const int64_t elements = extent.elements();
  // background components that cannot reach the border and border one label only: that label, if it is filled
  const auto holesOf = [](const Components& components, auto fills) {
    std::vector<int32_t> newLabel = components.label;
    for (int64_t c = 0; c < components.count(); ++c) {
      const int32_t enclosing = components.enclosingLabel[c];
      if (components.label[c] == 0 && !components.touchesBorder[c] && enclosing > 0 && fills(enclosing)) {
        newLabel[c] = enclosing;
      }
    }
    return newLabel;
  };
  if (!mask.oneHot()) {
    auto indices = classIndices(mask);
    const LabelSet labels(options.labels);
    int32_t* data = indices.data_ptr<int32_t>();
    at::parallel_for(0, mask.images(), 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        int32_t* image = data + n * elements;
        const auto components = connectedComponents(image, extent, connectivity, true);
        paintComponents(components, holesOf(components, [&](int32_t label) { return labels.contains(label); }), extent,
                        image);
      }
    });
    return fromClassIndices(indices, input);
  }
  const auto inside = mask.values.ne(0).to(torch::kUInt8).contiguous();
  auto filled = inside.clone();
  const auto channels = channelsOf(mask, options.labels, path);
  const auto count = static_cast<int64_t>(channels.size());
  uint8_t* data = filled.data_ptr<uint8_t>();
  at::parallel_for(0, mask.images() * count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      uint8_t* channel = data + ((item / count) * mask.channels() + channels[size_t(item % count)]) * elements;
      const auto components = connectedComponents(channel, extent, connectivity, true);
      paintComponents(components, holesOf(components, [](int32_t) { return true; }), extent, channel);
    }
  });
  const auto holes = filled.to(torch::kBool).logical_and(inside.to(torch::kBool).logical_not());
  return mask.values.masked_fill(holes, 1).reshape(input.sizes());
}

torch::Tensor postprocess(const torch::Tensor& mask, const PostprocessOptions& options, const std::string& path) {
  torch::Tensor result = mask;
  if (options.removeSmallObjects) {
    result = removeSmallObjects(result, *options.removeSmallObjects, path + ".removeSmallObjects");
  }
  if (options.keepLargestComponent) {
    result = keepLargestComponent(result, *options.keepLargestComponent, path + ".keepLargestComponent");
  }
  if (options.fillHoles) result = fillHoles(result, *options.fillHoles, path + ".fillHoles");
  return result;
}

}  // namespace unet

// Transcribed from MONAI 1.3-1.5: compute_hausdorff_distance, compute_average_surface_distance,
// compute_surface_dice, and utils.py's get_mask_edges (crop=True, no subvoxels), get_surface_distance,
// get_edge_surface_distance and prepare_spacing. One difference: MONAI's percentile of a direction whose
// distances are all infinite is NaN (torch.quantile interpolates inf - inf; Project-MONAI/MONAI#9095), ours is
// +Infinity, as without a percentile.
#include "core/metrics/surface.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/options/range.h"
#include "core/options/shape_text.h"

namespace unet {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A mask minus its erosion by the face neighbours, the outside read as background: scipy's
// binary_erosion(mask) ^ mask, as get_mask_edges finds edges.
torch::Tensor edgesOf(const torch::Tensor& mask) {
  const int64_t dims = mask.dim();
  const auto padded = torch::constant_pad_nd(mask.to(torch::kUInt8), std::vector<int64_t>(2 * dims, 1), 0);
  auto interior = mask.clone();
  for (int64_t axis = 0; axis < dims; ++axis) {
    for (int64_t offset : {0, 2}) {
      auto neighbour = padded;
      for (int64_t d = 0; d < dims; ++d) neighbour = neighbour.narrow(d, d == axis ? offset : 1, mask.size(d));
      interior.logical_and_(neighbour);
    }
  }
  return mask.logical_and(interior.logical_not());
}

struct Edges {
  torch::Tensor pred, truth;  // bool, within the crop
};

// Both masks' edges within their union's bounding box and one element around it (get_mask_edges' crop, which
// changes no distance but makes the transforms small); nullopt when both masks are empty.
std::optional<Edges> croppedEdges(const torch::Tensor& pred, const torch::Tensor& truth) {
  const auto either = pred.logical_or(truth).to(torch::kUInt8);
  if (!either.any().item<bool>()) return std::nullopt;
  auto predCrop = pred, truthCrop = truth;
  for (int64_t axis = 0; axis < either.dim(); ++axis) {
    std::vector<int64_t> others;
    for (int64_t d = 0; d < either.dim(); ++d) {
      if (d != axis) others.push_back(d);
    }
    const auto profile = others.empty() ? either : either.amax(others);
    const auto present = profile.nonzero();
    const int64_t first = std::max<int64_t>(0, present.min().item<int64_t>() - 1);
    const int64_t last = std::min<int64_t>(either.size(axis) - 1, present.max().item<int64_t>() + 1);
    predCrop = predCrop.narrow(axis, first, last - first + 1);
    truthCrop = truthCrop.narrow(axis, first, last - first + 1);
  }
  return Edges{edgesOf(predCrop.contiguous()), edgesOf(truthCrop.contiguous())};
}

// The distance from each `from` edge element to the nearest `to` edge element (get_surface_distance): all
// infinite when either side has no edge, one per element of the side that has.
std::vector<double> surfaceDistances(const torch::Tensor& from, const torch::Tensor& to, DistanceMetric metric,
                                     const std::vector<double>& spacing) {
  const int64_t fromCount = from.sum().item<int64_t>();
  const int64_t toCount = to.sum().item<int64_t>();
  if (toCount == 0) return std::vector<double>(fromCount, kInfinity);
  if (fromCount == 0) return std::vector<double>(toCount, kInfinity);
  const auto distances = distanceTransform(to.logical_not(), metric, spacing).masked_select(from).contiguous();
  const double* data = distances.data_ptr<double>();
  return std::vector<double>(data, data + distances.numel());
}

// torch.quantile's default ('linear' between the two nearest order statistics); NaN for no values.
double quantile(std::vector<double> values, double fraction) {
  if (values.empty()) return kNaN;
  const double position = fraction * double(values.size() - 1);
  const auto below = size_t(std::floor(position));
  std::nth_element(values.begin(), values.begin() + below, values.end());
  const double low = values[below];
  if (below + 1 >= values.size() || position == double(below)) return low;
  const double high = *std::min_element(values.begin() + below + 1, values.end());
  return high == low ? low : low + (high - low) * (position - double(below));  // inf == inf: no inf - inf
}

double maximum(const std::vector<double>& values) {
  return values.empty() ? kNaN : *std::max_element(values.begin(), values.end());
}

// The spatial spacing of image `image`, checked against the image's dimensions.
const std::vector<double>& spacingOf(const Spacing& spacing, int64_t image) {
  return spacing.perImage.empty() ? spacing.everyImage : spacing.perImage[size_t(image)];
}

void validateSpacing(const Spacing& spacing, int64_t images, int64_t dims) {
  if (!spacing.perImage.empty() && int64_t(spacing.perImage.size()) != images) {
    throw std::invalid_argument("spacing: expected one list per image (" + std::to_string(images) + "), got " +
                                std::to_string(spacing.perImage.size()));
  }
  auto check = [&](const std::vector<double>& axes, const std::string& name) {
    if (axes.size() > 1 && int64_t(axes.size()) != dims) {
      throw std::invalid_argument(name + ": expected one number, or " + std::to_string(dims) +
                                  " (one per spatial dimension), got " + std::to_string(axes.size()));
    }
    for (double step : axes) range::number(name, step, 0, kInfinity, true, true);
  };
  check(spacing.everyImage, "spacing");
  for (size_t n = 0; n < spacing.perImage.size(); ++n) check(spacing.perImage[n], "spacing[" + std::to_string(n) + "]");
}

// The distances of one image and class: prediction -> truth, then (when both directions are asked for)
// truth -> prediction; empty when both masks are.
using DirectedDistances = std::vector<std::vector<double>>;

// Scores every image and class of pred against target with `score`, then reduces as the options say.
template <typename Score>
torch::Tensor scoreEdges(const torch::Tensor& pred, const torch::Tensor& indicesOrOneHot,
                         const SurfaceMetricOptions& options, bool bothDirections, Score score) {
  const auto target = matchPrediction(pred, indicesOrOneHot);
  if (pred.dim() < 3 || pred.dim() > 5) {
    throw std::invalid_argument("pred: expected N x C x spatial... with 1 to 3 spatial dimensions, got shape " +
                                shapeText(pred.sizes()));
  }
  requireSameShape(pred, target);
  validateSpacing(options.spacing, pred.size(0), pred.dim() - 2);
  // MONAI's ignore_background keeps a single channel
  const int64_t first = options.includeBackground || pred.size(1) == 1 ? 0 : 1;
  const auto predicted = pred.slice(1, first).to(torch::kCPU).eq(1).contiguous();
  const auto truth = target.slice(1, first).to(torch::kCPU).eq(1).contiguous();
  const int64_t images = predicted.size(0), channels = predicted.size(1);
  auto scores = torch::empty({images, channels}, torch::kFloat64);
  double* out = scores.data_ptr<double>();
  at::parallel_for(0, images * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / channels, c = item % channels;
      DirectedDistances distances;
      if (const auto edges = croppedEdges(predicted[n][c], truth[n][c])) {
        const auto& spacing = spacingOf(options.spacing, n);
        distances.push_back(surfaceDistances(edges->pred, edges->truth, options.distanceMetric, spacing));
        if (bothDirections) {
          distances.push_back(surfaceDistances(edges->truth, edges->pred, options.distanceMetric, spacing));
        }
      }
      out[item] = score(distances, c);
    }
  });
  return reduceMetric(scores.to(torch::kFloat), options.reduction);
}

}  // namespace

void HausdorffOptions::validate(const std::string& path) const {
  if (percentile) range::number(path + ".percentile", *percentile, 0, 100, /*minExclusive=*/true);
}

void SurfaceDiceOptions::validate(const std::string& path) const {
  for (size_t c = 0; c < classThresholds.size(); ++c) {
    range::number(path + ".classThresholds[" + std::to_string(c) + "]", classThresholds[c], 0, kInfinity, false,
                  /*maxExclusive=*/true);
  }
}

torch::Tensor hausdorff(const torch::Tensor& pred, const torch::Tensor& target, const HausdorffOptions& options) {
  options.validate();
  return scoreEdges(pred, target, options.surface, !options.directed, [&](const DirectedDistances& distances, int64_t) {
    if (distances.empty()) return kNaN;
    double largest = -kInfinity;
    for (const auto& direction : distances) {
      largest =
          std::max(largest, options.percentile ? quantile(direction, *options.percentile / 100) : maximum(direction));
    }
    return largest;
  });
}

torch::Tensor surfaceDistance(const torch::Tensor& pred, const torch::Tensor& target,
                              const SurfaceDistanceOptions& options) {
  return scoreEdges(pred, target, options.surface, options.symmetric, [](const DirectedDistances& distances, int64_t) {
    double sum = 0;
    size_t count = 0;
    for (const auto& direction : distances) {
      for (double distance : direction) sum += distance;
      count += direction.size();
    }
    return count == 0 ? kNaN : sum / double(count);
  });
}

torch::Tensor surfaceDice(const torch::Tensor& pred, const torch::Tensor& target, const SurfaceDiceOptions& options) {
  options.validate();
  const int64_t scored = pred.dim() >= 2 && !options.surface.includeBackground && pred.size(1) > 1 ? pred.size(1) - 1
                         : pred.dim() >= 2                                                         ? pred.size(1)
                                                                                                   : 0;
  if (int64_t(options.classThresholds.size()) != scored) {
    throw std::invalid_argument("options.classThresholds: expected one per class scored (" + std::to_string(scored) +
                                "), got " + std::to_string(options.classThresholds.size()));
  }
  return scoreEdges(pred, target, options.surface, true, [&](const DirectedDistances& distances, int64_t c) {
    size_t within = 0, count = 0;
    for (const auto& direction : distances) {
      for (double distance : direction) within += distance <= options.classThresholds[size_t(c)];
      count += direction.size();
    }
    return count == 0 ? kNaN : double(within) / double(count);
  });
}

}  // namespace unet

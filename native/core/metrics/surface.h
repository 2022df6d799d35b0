// Boundary metrics with MONAI's semantics (monai/metrics: hausdorff_distance.py, surface_distance.py,
// surface_dice.py, utils.py get_mask_edges and get_surface_distance): the distances between the edges of a
// predicted and a true mask, per image and class.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "core/metrics/distance_transform.h"
#include "core/metrics/metrics.h"

namespace unet {

// MONAI's spacing: the size of an element along each spatial axis (one number for all axes, or one per axis),
// the same for every image or one such list per image. Euclidean distances only, as MONAI.
struct Spacing {
  std::vector<double> everyImage;             // empty: 1 along every axis
  std::vector<std::vector<double>> perImage;  // when not empty, one per image (and everyImage unused)
};

struct SurfaceMetricOptions {
  bool includeBackground = false;
  DistanceMetric distanceMetric = DistanceMetric::Euclidean;
  Spacing spacing;
  MetricReduction reduction = MetricReduction::Mean;
};

struct HausdorffOptions {
  SurfaceMetricOptions surface;
  std::optional<double> percentile;  // none: the maximum distance; else in (0, 100]
  bool directed = false;             // only prediction -> truth

  void validate(const std::string& path = "options") const;
};

struct SurfaceDistanceOptions {
  SurfaceMetricOptions surface;
  bool symmetric = false;  // the mean over both directions' distances together

  void validate(const std::string& path = "options") const {}
};

struct SurfaceDiceOptions {
  SurfaceMetricOptions surface;
  std::vector<double> classThresholds;  // one tolerance per class scored (after dropping the background)

  void validate(const std::string& path = "options") const;
};

// pred and target as for diceMetric: binarised or one-hot N x C x spatial (2 or 3 spatial dimensions; 1 too),
// target also as class indices N x 1 x spatial. An element is inside a mask where it equals 1, as MONAI's
// get_mask_edges reads label maps. Values per image and class: NaN where both masks are empty, +Infinity where
// only one is; reductions skip NaN and keep Infinity, as MONAI's do_metric_reduction.
torch::Tensor hausdorff(const torch::Tensor& pred, const torch::Tensor& target, const HausdorffOptions& options);
torch::Tensor surfaceDistance(const torch::Tensor& pred, const torch::Tensor& target,
                              const SurfaceDistanceOptions& options);
// Normalised surface Dice: the share of both edges lying within the class's tolerance of the other; NaN where
// both are empty, 0 where one is.
torch::Tensor surfaceDice(const torch::Tensor& pred, const torch::Tensor& target, const SurfaceDiceOptions& options);

}  // namespace unet

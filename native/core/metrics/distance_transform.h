// Exact distance transforms of binary masks in 1 to 3 dimensions: what scipy.ndimage's distance_transform_edt
// (Euclidean, with per-axis spacing) and distance_transform_cdt (chessboard, taxicab) compute, and what the
// surface metrics measure with.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace unet {

enum class DistanceMetric { Euclidean, Chessboard, Taxicab };

// "euclidean" | "chessboard" | "taxicab"
DistanceMetric parseDistanceMetric(const std::string& name, const std::string& path = "distanceMetric");
const char* distanceMetricName(DistanceMetric metric);

// For every element of `mask` (any dtype, spatial dimensions only, 1 to 3 of them): the distance to the nearest
// zero element, 0 on zeros, float64; +inf everywhere when the mask has no zero. Euclidean distances use `spacing`
// (one per dimension, one for all, or none for 1), as scipy's `sampling`; chessboard and taxicab count steps between
// neighbouring elements (scipy's cdt ignores spacing too). Exact: Felzenszwalb and Huttenlocher's lower envelope
// of parabolas along each axis for Euclidean, two raster passes over the 3^d neighbourhood for the others.
torch::Tensor distanceTransform(const torch::Tensor& mask, DistanceMetric metric, const std::vector<double>& spacing);

}  // namespace unet

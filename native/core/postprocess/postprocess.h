// Post-processing of masks with MONAI's semantics (monai/transforms/post/array.py KeepLargestConnectedComponent,
// FillHoles, RemoveSmallObjects; monai/transforms/utils.py), on 2D and 3D masks:
// - class indices N x 1 x spatial or N x H x W (a label map: integers from 0, 0 the background); removed
//   elements become 0;
// - one-hot or binary masks N x C x spatial with C > 1 (MONAI's is_onehot default): each channel's nonzero
//   elements are inside; removed elements become 0 in their channel, filled ones 1.
// The result has the mask's shape and dtype. Components are found on runs with union-find
// (core/postprocess/components.h), images (and one-hot channels) in parallel.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace unet {

struct KeepLargestComponentOptions {
  std::optional<int64_t> connectivity;  // none: every neighbour (8 in 2D, 26 in 3D), as MONAI and nnU-Net
  bool independent = true;              // each class on its own; false: the union of the classes, as one
  std::vector<int64_t> labels;          // the classes (label values, or one-hot channels); none: every one but 0

  static int64_t defaultConnectivity(int64_t spatialDims) { return spatialDims == 2 ? 8 : 26; }
  void validate(const std::string& path = "options", int64_t spatialDims = 0) const;
};

struct FillHolesOptions {
  std::optional<int64_t> connectivity;  // none: every neighbour, as MONAI
  std::vector<int64_t> labels;

  static int64_t defaultConnectivity(int64_t spatialDims) { return spatialDims == 2 ? 8 : 26; }
  void validate(const std::string& path = "options", int64_t spatialDims = 0) const;
};

struct RemoveSmallObjectsOptions {
  int64_t minSize = 64;                 // components of fewer elements are removed; minSize itself is kept
  std::optional<int64_t> connectivity;  // none: faces only (4 in 2D, 6 in 3D), MONAI's connectivity=1
  bool independent = true;              // MONAI's independent_channels
  std::vector<int64_t> labels;

  static int64_t defaultConnectivity(int64_t spatialDims) { return spatialDims == 2 ? 4 : 6; }
  void validate(const std::string& path = "options", int64_t spatialDims = 0) const;
};

// The transforms asked for, applied in this order: small objects go first, so they neither count as a class's
// largest component nor keep a hole open; the largest component is kept before holes are filled, so the holes
// the removed components leave are filled too; filling only grows components, so one per class stays one.
struct PostprocessOptions {
  std::optional<RemoveSmallObjectsOptions> removeSmallObjects;
  std::optional<KeepLargestComponentOptions> keepLargestComponent;
  std::optional<FillHolesOptions> fillHoles;

  bool any() const { return removeSmallObjects || keepLargestComponent || fillHoles; }
  // spatialDims 2 or 3 checks the connectivities against it too (predict's masks are 2D).
  void validate(const std::string& path = "options", int64_t spatialDims = 0) const;
};

// Keeps each class's largest component (or the union's, independent = false), and every component tied with it:
// nnU-Net's rule, which unlike MONAI's single pick among ties (numpy's argsort order) does not depend on the
// scan order, so it commutes with flips.
torch::Tensor keepLargestComponent(const torch::Tensor& mask, const KeepLargestComponentOptions& options,
                                   const std::string& path = "options");

// One-hot: each channel's holes (the not-inside regions that cannot reach the border) are filled, as MONAI's
// fill_holes and scipy's binary_fill_holes. Label maps: a hole is a background region that cannot reach the
// border and borders one class only (MONAI's definition in FillHoles' docstring); it becomes that class. MONAI's
// code fills every not-c region enclosed by class c, so it also paints over a class lying inside another; here
// only background is filled.
torch::Tensor fillHoles(const torch::Tensor& mask, const FillHolesOptions& options,
                        const std::string& path = "options");

// Removes components of fewer than minSize elements: each class's (independent) or the union's, whose removed
// components lose every class. MONAI's reads a label map's values as ready-made objects (skimage's labelled
// input), so a class smaller than minSize in all goes whole; here a label map is read as its one-hot encoding.
torch::Tensor removeSmallObjects(const torch::Tensor& mask, const RemoveSmallObjectsOptions& options,
                                 const std::string& path = "options");

// The transforms `options` asks for, in PostprocessOptions' order; the mask itself when it asks for none.
torch::Tensor postprocess(const torch::Tensor& mask, const PostprocessOptions& options,
                          const std::string& path = "options");

}  // namespace unet

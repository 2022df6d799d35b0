// Connected components of one label image or volume, found on runs: a row's maximal stretch of one label is
// one node, so union-find works on runs (few per row in a mask) instead of elements. Neighbouring elements join
// when their labels are equal; connectivity is the neighbour count of scipy's and skimage's structures:
// 4 (faces) or 8 (every neighbour) in 2D, 6 (faces), 18 (faces and edges) or 26 (every neighbour) in 3D.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unet {

// 4 | 8 for 2 spatial dimensions, 6 | 18 | 26 for 3; anything else throws naming `path`.
void validateConnectivity(int64_t connectivity, int64_t spatialDims, const std::string& path);
// 4 | 6 | 8 | 18 | 26, before the mask's dimensions are known.
void validateConnectivity(int64_t connectivity, const std::string& path);

// A row-major image (spatialDims 2, depth 1) or volume (spatialDims 3); rows run along the last axis.
struct Extent {
  int64_t spatialDims = 2;
  int64_t depth = 1, height = 1, width = 1;

  int64_t rows() const { return depth * height; }
  int64_t elements() const { return depth * height * width; }
};

struct Run {
  int32_t start, end;  // [start, end) along the row
  int32_t label;
};

struct Components {
  std::vector<Run> runs;                // row by row
  std::vector<int64_t> rowBegin;        // the runs of row r: [rowBegin[r], rowBegin[r + 1])
  std::vector<int32_t> componentOfRun;  // 0 .. count() - 1, numbered in raster order of their first element
  std::vector<int64_t> size;            // per component: its elements
  std::vector<int32_t> label;           // per component
  std::vector<uint8_t> touchesBorder;   // per component: has an element on the image's (volume's) border
  // Per background (label 0) component, when background was labelled: the one label of the elements next to it,
  // 0 for none, kSeveralLabels for more than one.
  std::vector<int32_t> enclosingLabel;

  static constexpr int32_t kSeveralLabels = -1;
  int64_t count() const { return static_cast<int64_t>(size.size()); }
};

// The components of `labels` (extent.elements() of them). Label 0 is background: labelled too (with its
// enclosing labels) when withBackground, else left out.
template <typename Label>
Components connectedComponents(const Label* labels, const Extent& extent, int64_t connectivity, bool withBackground);

// Writes newLabel[c] over every element of component c whose newLabel differs from its label.
template <typename Label>
void paintComponents(const Components& components, const std::vector<int32_t>& newLabel, const Extent& extent,
                     Label* out);

}  // namespace unet

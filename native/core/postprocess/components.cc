#include "core/postprocess/components.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace unet {

namespace {

// A row that may hold neighbours of the current row's elements: dz, dy back from it, and how far along the row
// (0 or 1 elements) a neighbour may lie. Only rows before the current one: each pair of rows is met once.
struct RowNeighbour {
  int64_t dz, dy;
  int32_t reach;
};

std::vector<RowNeighbour> rowNeighbours(int64_t connectivity) {
  switch (connectivity) {
    case 4: return {{0, -1, 0}};
    case 8: return {{0, -1, 1}};
    case 6: return {{0, -1, 0}, {-1, 0, 0}};
    case 18: return {{0, -1, 1}, {-1, -1, 0}, {-1, 0, 1}, {-1, 1, 0}};  // |dz| + |dy| + |dx| <= 2
    case 26: return {{0, -1, 1}, {-1, -1, 1}, {-1, 0, 1}, {-1, 1, 1}};
    default: throw std::invalid_argument("connectivity: unknown " + std::to_string(connectivity));
  }
}

// Union-find whose root is always the set's smallest index, so components are numbered in raster order.
class DisjointSets {
 public:
  explicit DisjointSets(size_t count) : parent_(count) { std::iota(parent_.begin(), parent_.end(), 0); }

  int32_t find(int32_t i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];  // path halving
      i = parent_[i];
    }
    return i;
  }

  void unite(int32_t a, int32_t b) {
    a = find(a);
    b = find(b);
    if (a < b) parent_[b] = a;
    if (b < a) parent_[a] = b;
  }

 private:
  std::vector<int32_t> parent_;
};

}  // namespace

void validateConnectivity(int64_t connectivity, int64_t spatialDims, const std::string& path) {
  if (spatialDims == 2 && connectivity != 4 && connectivity != 8) {
    throw std::invalid_argument(path + ": expected 4 or 8 for a 2D mask, got " + std::to_string(connectivity));
  }
  if (spatialDims == 3 && connectivity != 6 && connectivity != 18 && connectivity != 26) {
    throw std::invalid_argument(path + ": expected 6, 18 or 26 for a 3D mask, got " + std::to_string(connectivity));
  }
}

void validateConnectivity(int64_t connectivity, const std::string& path) {
  for (int64_t allowed : {4, 8, 6, 18, 26}) {
    if (connectivity == allowed) return;
  }
  throw std::invalid_argument(path + ": expected 4 or 8 (2D), 6, 18 or 26 (3D), got " + std::to_string(connectivity));
}

template <typename Label>
Components connectedComponents(const Label* labels, const Extent& extent, int64_t connectivity, bool withBackground) {
  validateConnectivity(connectivity, extent.spatialDims, "connectivity");
  if (extent.elements() > std::numeric_limits<int32_t>::max()) {
    throw std::invalid_argument("mask: at most 2147483647 elements per image, got " +
                                std::to_string(extent.elements()));
  }
  Components result;
  auto& runs = result.runs;
  const int64_t rows = extent.rows(), width = extent.width;
  result.rowBegin.reserve(rows + 1);
  for (int64_t r = 0; r < rows; ++r) {
    result.rowBegin.push_back(static_cast<int64_t>(runs.size()));
    const Label* row = labels + r * width;
    int32_t x = 0;
    while (x < width) {
      const Label value = row[x];
      const int32_t start = x;
      while (++x < width && row[x] == value) {
      }
      if (value != 0 || withBackground) runs.push_back({start, x, static_cast<int32_t>(value)});
    }
  }
  result.rowBegin.push_back(static_cast<int64_t>(runs.size()));

  DisjointSets sets(runs.size());
  std::vector<std::pair<int32_t, int32_t>> backgroundNeighbours;  // (a background run, the label next to it)
  const auto relate = [&](int64_t a, int64_t b) {
    const int32_t labelA = runs[a].label, labelB = runs[b].label;
    if (labelA == labelB) {
      sets.unite(static_cast<int32_t>(a), static_cast<int32_t>(b));
    } else if (labelA == 0) {
      backgroundNeighbours.emplace_back(static_cast<int32_t>(a), labelB);
    } else if (labelB == 0) {
      backgroundNeighbours.emplace_back(static_cast<int32_t>(b), labelA);
    }
  };
  const auto& rowBegin = result.rowBegin;
  const auto neighbours = rowNeighbours(connectivity);
  for (int64_t z = 0; z < extent.depth; ++z) {
    for (int64_t y = 0; y < extent.height; ++y) {
      const int64_t r = z * extent.height + y, begin = rowBegin[r], end = rowBegin[r + 1];
      // with background labelled, a row's runs tile it: each one's successor is its neighbour
      if (withBackground) {
        for (int64_t i = begin; i + 1 < end; ++i) relate(i, i + 1);
      }
      for (const auto& neighbour : neighbours) {
        const int64_t nz = z + neighbour.dz, ny = y + neighbour.dy;
        if (nz < 0 || ny < 0 || ny >= extent.height) continue;
        const int64_t other = nz * extent.height + ny, otherEnd = rowBegin[other + 1];
        int64_t first = rowBegin[other];
        for (int64_t i = begin; i < end && first < otherEnd; ++i) {
          const Run& run = runs[i];
          while (first < otherEnd && runs[first].end + neighbour.reach <= run.start) ++first;
          for (int64_t k = first; k < otherEnd && runs[k].start < run.end + neighbour.reach; ++k) relate(i, k);
        }
      }
    }
  }

  const auto runCount = static_cast<int64_t>(runs.size());
  result.componentOfRun.resize(runs.size());
  for (int64_t i = 0; i < runCount; ++i) {
    const int32_t root = sets.find(static_cast<int32_t>(i));
    if (root == i) {
      result.componentOfRun[i] = static_cast<int32_t>(result.size.size());
      result.size.push_back(0);
      result.label.push_back(runs[i].label);
      result.touchesBorder.push_back(0);
    } else {
      result.componentOfRun[i] = result.componentOfRun[root];  // the root is the set's first run
    }
  }
  for (int64_t z = 0; z < extent.depth; ++z) {
    for (int64_t y = 0; y < extent.height; ++y) {
      const int64_t r = z * extent.height + y;
      const bool borderRow =
          y == 0 || y == extent.height - 1 || (extent.spatialDims == 3 && (z == 0 || z == extent.depth - 1));
      for (int64_t i = rowBegin[r]; i < rowBegin[r + 1]; ++i) {
        const int32_t component = result.componentOfRun[i];
        result.size[component] += runs[i].end - runs[i].start;
        if (borderRow || runs[i].start == 0 || runs[i].end == width) result.touchesBorder[component] = 1;
      }
    }
  }
  if (withBackground) {
    result.enclosingLabel.assign(result.size.size(), 0);
    for (const auto& [run, label] : backgroundNeighbours) {
      int32_t& enclosing = result.enclosingLabel[result.componentOfRun[run]];
      if (enclosing == 0) enclosing = label;
      if (enclosing != label) enclosing = Components::kSeveralLabels;
    }
  }
  return result;
}

template <typename Label>
void paintComponents(const Components& components, const std::vector<int32_t>& newLabel, const Extent& extent,
                     Label* out) {
  for (int64_t r = 0; r < extent.rows(); ++r) {
    Label* row = out + r * extent.width;
    for (int64_t i = components.rowBegin[r]; i < components.rowBegin[r + 1]; ++i) {
      const int32_t component = components.componentOfRun[i];
      if (newLabel[component] == components.label[component]) continue;
      const Run& run = components.runs[i];
      std::fill(row + run.start, row + run.end, static_cast<Label>(newLabel[component]));
    }
  }
}

template Components connectedComponents(const uint8_t*, const Extent&, int64_t, bool);
template Components connectedComponents(const int32_t*, const Extent&, int64_t, bool);
template void paintComponents(const Components&, const std::vector<int32_t>&, const Extent&, uint8_t*);
template void paintComponents(const Components&, const std::vector<int32_t>&, const Extent&, int32_t*);

}  // namespace unet

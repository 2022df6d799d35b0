#include "core/metrics/distance_transform.h"

#include <ATen/Parallel.h>

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/options/range.h"

namespace unet {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// One line of squared distances, in place: d(q) = min over p of (spacing (q - p))^2 + f(p), the lower envelope
// of the parabolas rooted at the finite f(p) (Felzenszwalb and Huttenlocher 2012, "Distance transforms of
// sampled functions"). `f`, `v` and `z` are scratch of n, n and n + 1 elements.
void envelopeLine(double* values, int64_t n, int64_t stride, double spacing, double* f, int64_t* v, double* z) {
  const double s2 = spacing * spacing;
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    f[q] = values[q * stride];
    if (f[q] == kInfinity) continue;
    double meet = -kInfinity;
    while (k >= 0) {
      const int64_t p = v[k];
      meet = ((f[q] + s2 * double(q * q)) - (f[p] + s2 * double(p * p))) / (2.0 * s2 * double(q - p));
      if (meet > z[k]) break;
      --k;
    }
    ++k;
    v[k] = q;
    z[k] = k == 0 ? -kInfinity : meet;
    z[k + 1] = kInfinity;
  }
  if (k < 0) return;  // no site on this line yet: it stays infinite
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {
    while (z[j + 1] < double(q)) ++j;
    const double step = spacing * double(q - v[j]);
    values[q * stride] = step * step + f[v[j]];
  }
}

torch::Tensor euclidean(torch::Tensor squared, const std::vector<double>& spacing) {
  double* data = squared.data_ptr<double>();
  const auto sizes = squared.sizes();
  const int64_t dims = squared.dim();
  const int64_t total = squared.numel();
  for (int64_t axis = 0; axis < dims; ++axis) {
    const int64_t n = sizes[axis];
    const int64_t stride = squared.stride(axis);
    const int64_t lines = total / n;
    const double step = spacing.empty() ? 1.0 : spacing[spacing.size() == 1 ? 0 : axis];
    at::parallel_for(0, lines, 64, [&](int64_t begin, int64_t end) {
      std::vector<double> f(n), z(n + 1);
      std::vector<int64_t> v(n);
      for (int64_t line = begin; line < end; ++line) {
        const int64_t outer = line / stride, inner = line % stride;
        envelopeLine(data + outer * n * stride + inner, n, stride, step, f.data(), v.data(), z.data());
      }
    });
  }
  return squared.sqrt_();
}

// Two raster passes over the 3 x 3 x 3 neighbourhood (the face neighbours only for taxicab): exact for both
// metrics with unit steps (Rosenfeld and Pfaltz 1966).
torch::Tensor chamfer(torch::Tensor distances, DistanceMetric metric) {
  std::array<int64_t, 3> size{1, 1, 1};
  for (int64_t d = 0; d < distances.dim(); ++d) size[3 - distances.dim() + d] = distances.size(d);
  std::vector<std::array<int64_t, 3>> before;  // the neighbours that come earlier in raster order
  for (int64_t dz = -1; dz <= 1; ++dz) {
    for (int64_t dy = -1; dy <= 1; ++dy) {
      for (int64_t dx = -1; dx <= 1; ++dx) {
        const bool earlier = dz < 0 || (dz == 0 && (dy < 0 || (dy == 0 && dx < 0)));
        const int64_t steps = std::abs(dz) + std::abs(dy) + std::abs(dx);
        if (earlier && (metric == DistanceMetric::Chessboard || steps == 1)) before.push_back({dz, dy, dx});
      }
    }
  }
  double* data = distances.data_ptr<double>();
  auto pass = [&](int64_t sign) {
    for (int64_t i = 0; i < size[0]; ++i) {
      const int64_t z = sign > 0 ? i : size[0] - 1 - i;
      for (int64_t j = 0; j < size[1]; ++j) {
        const int64_t y = sign > 0 ? j : size[1] - 1 - j;
        for (int64_t l = 0; l < size[2]; ++l) {
          const int64_t x = sign > 0 ? l : size[2] - 1 - l;
          double& here = data[(z * size[1] + y) * size[2] + x];
          for (const auto& offset : before) {
            const int64_t nz = z + sign * offset[0], ny = y + sign * offset[1], nx = x + sign * offset[2];
            if (nz < 0 || nz >= size[0] || ny < 0 || ny >= size[1] || nx < 0 || nx >= size[2]) continue;
            here = std::min(here, data[(nz * size[1] + ny) * size[2] + nx] + 1.0);
          }
        }
      }
    }
  };
  pass(1);
  pass(-1);
  return distances;
}

const range::Named<DistanceMetric> kDistanceMetrics[] = {{DistanceMetric::Euclidean, "euclidean"},
                                                         {DistanceMetric::Chessboard, "chessboard"},
                                                         {DistanceMetric::Taxicab, "taxicab"}};

}  // namespace

DistanceMetric parseDistanceMetric(const std::string& name, const std::string& path) {
  return range::parse(kDistanceMetrics, name, path);
}

const char* distanceMetricName(DistanceMetric metric) {
  return range::nameOf(kDistanceMetrics, metric);
}

torch::Tensor distanceTransform(const torch::Tensor& mask, DistanceMetric metric, const std::vector<double>& spacing) {
  if (mask.dim() < 1 || mask.dim() > 3) {
    throw std::invalid_argument("mask: expected 1 to 3 spatial dimensions, got " + std::to_string(mask.dim()));
  }
  if (spacing.size() > 1 && int64_t(spacing.size()) != mask.dim()) {
    throw std::invalid_argument("spacing: expected one number, or " + std::to_string(mask.dim()) +
                                " (one per dimension), got " + std::to_string(spacing.size()));
  }
  for (double step : spacing) {
    if (!(step > 0) || !std::isfinite(step)) throw std::invalid_argument("spacing: expected positive finite values");
  }
  const auto foreground = mask.to(torch::kCPU).ne(0).contiguous();
  // 0 on the zeros, where every distance is measured to; infinite elsewhere until a pass reaches it.
  auto distances =
      torch::full(foreground.sizes(), kInfinity, torch::kFloat64).masked_fill_(foreground.logical_not(), 0.0);
  if (mask.numel() == 0) return distances;
  return metric == DistanceMetric::Euclidean ? euclidean(distances, spacing) : chamfer(distances, metric);
}

}  // namespace unet

// Batched data augmentation: flips and quarter turns as exact index permutations, affine and elastic warps
// composed into one sampling grid per sample, then per-image intensity changes. Random numbers are drawn on
// the CPU from the caller's generator (in a fixed order) and only the parameters move to the images' device.
#include "core/training/augment.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/options/range.h"
#include "core/options/shape_text.h"

namespace unet {

namespace {

namespace F = torch::nn::functional;

constexpr double kPi = 3.14159265358979323846;

// Columns of the per-sample "does this transform apply" draw; the order fixes the random stream.
enum Decision : int64_t {
  kHorizontalFlip,
  kVerticalFlip,
  kRotate90,
  kAffine,
  kElastic,
  kBrightness,
  kContrast,
  kGamma,
  kNoise,
  kDecisionCount
};

// Columns of the per-sample uniform draw that the transforms turn into their parameters.
enum Parameter : int64_t {
  kQuarterTurns,
  kRotation,
  kScale,
  kTranslateX,
  kTranslateY,
  kBrightnessShift,
  kContrastFactor,
  kGammaExponent,
  kParameterCount
};

void requireInputs(const torch::Tensor& images, const torch::Tensor& masks) {
  if (!images.defined() || images.dim() != 4 || !images.is_floating_point()) {
    throw std::invalid_argument("images: expected a floating N x C x H x W tensor, got " +
                                (images.defined() ? shapeText(images.sizes()) : std::string("nothing")));
  }
  if (!masks.defined()) return;
  if (masks.dim() != 4 || masks.size(0) != images.size(0) || masks.size(2) != images.size(2) ||
      masks.size(3) != images.size(3)) {
    throw std::invalid_argument("masks: expected N x K x H x W matching images " + shapeText(images.sizes()) +
                                ", got " + shapeText(masks.sizes()));
  }
  if (masks.device() != images.device()) {
    throw std::invalid_argument("masks: expected the images' device");
  }
}

// The flips and quarter turn of one sample, reduced to optional flips followed by an optional transpose-like
// quarter turn (a half turn is both flips; three quarters is a quarter turn after both flips).
struct Permutation {
  bool flipX = false;
  bool flipY = false;
  bool quarterTurn = false;
};

std::vector<Permutation> drawnPermutations(const torch::Tensor& decisions, const torch::Tensor& parameters,
                                           bool square) {
  auto decide = decisions.accessor<bool, 2>();
  auto uniform = parameters.accessor<double, 2>();
  std::vector<Permutation> permutations(decisions.size(0));
  for (int64_t sample = 0; sample < decisions.size(0); ++sample) {
    Permutation& permutation = permutations[sample];
    permutation.flipX = decide[sample][kHorizontalFlip];
    permutation.flipY = decide[sample][kVerticalFlip];
    if (!decide[sample][kRotate90]) continue;
    const int64_t quarterTurns =
        square ? std::min<int64_t>(3, 1 + static_cast<int64_t>(uniform[sample][kQuarterTurns] * 3)) : 2;
    if (quarterTurns >= 2) {
      permutation.flipX = !permutation.flipX;
      permutation.flipY = !permutation.flipY;
    }
    permutation.quarterTurn = quarterTurns != 2;
  }
  return permutations;
}

torch::Tensor boolColumn(const std::vector<Permutation>& permutations, bool Permutation::*field,
                         const torch::Device& device) {
  std::vector<uint8_t> values;
  for (const Permutation& permutation : permutations) values.push_back(permutation.*field ? 1 : 0);
  return torch::tensor(values, torch::dtype(torch::kUInt8)).to(torch::kBool).to(device).view({-1, 1, 1});
}

// Flat source index (row * W + col) of every output pixel; matches torch::rot90(x, 1, {2, 3}) after the flips.
torch::Tensor permutationIndex(const std::vector<Permutation>& permutations, int64_t height, int64_t width,
                               const torch::Device& device) {
  const auto indexOptions = torch::dtype(torch::kLong).device(device);
  torch::Tensor rows = torch::arange(height, indexOptions).view({1, height, 1});
  torch::Tensor cols = torch::arange(width, indexOptions).view({1, 1, width});
  torch::Tensor quarterTurn = boolColumn(permutations, &Permutation::quarterTurn, device);
  // A quarter turn only happens on square images, so height - 1 - rows is a valid column there.
  torch::Tensor sourceRow = torch::where(quarterTurn, cols, rows);
  torch::Tensor sourceCol = torch::where(quarterTurn, (height - 1) - rows, cols);
  sourceRow = torch::where(boolColumn(permutations, &Permutation::flipY, device), (height - 1) - sourceRow, sourceRow);
  sourceCol = torch::where(boolColumn(permutations, &Permutation::flipX, device), (width - 1) - sourceCol, sourceCol);
  return (sourceRow * width + sourceCol).view({static_cast<int64_t>(permutations.size()), 1, height * width});
}

torch::Tensor permutePixels(const torch::Tensor& batch, const torch::Tensor& index) {
  const int64_t samples = batch.size(0), channels = batch.size(1);
  const int64_t pixels = batch.size(2) * batch.size(3);
  return batch.reshape({samples, channels, pixels})
      .gather(2, index.expand({samples, channels, pixels}))
      .view(batch.sizes());
}

// Maps an output position to where it samples the input, in grid_sample's normalised coordinates, as the
// 2 x 3 matrix affine_grid takes: the affine pull-back, then the flips / quarter turn pull-back.
torch::Tensor samplingMatrix(const Permutation& permutation, bool affine, const double* uniform,
                             const AugmentOptions& options, int64_t height, int64_t width) {
  double linear[2][2] = {{1, 0}, {0, 1}};
  double shift[2] = {0, 0};
  if (affine) {
    const double angle = (2 * uniform[kRotation] - 1) * options.rotationDegrees * kPi / 180;
    const double scale = options.scaleMin + uniform[kScale] * (options.scaleMax - options.scaleMin);
    const double shiftX = (2 * uniform[kTranslateX] - 1) * options.translateFraction * 2;  // normalised units
    const double shiftY = (2 * uniform[kTranslateY] - 1) * options.translateFraction * 2;
    // Rotate in pixel units (half-extents W/2, H/2) so non-square images are not sheared.
    const double halfW = width / 2.0, halfH = height / 2.0;
    const double cosine = std::cos(angle) / scale, sine = std::sin(angle) / scale;
    linear[0][0] = cosine;
    linear[0][1] = sine * halfH / halfW;
    linear[1][0] = -sine * halfW / halfH;
    linear[1][1] = cosine;
    shift[0] = -(linear[0][0] * shiftX + linear[0][1] * shiftY);
    shift[1] = -(linear[1][0] * shiftX + linear[1][1] * shiftY);
  }
  // Quarter turn pull-back (x, y) -> (-y, x), then the flips negate x and/or y.
  double permute[2][2] = {{1, 0}, {0, 1}};
  if (permutation.quarterTurn) {
    permute[0][0] = 0, permute[0][1] = -1, permute[1][0] = 1, permute[1][1] = 0;
  }
  const double signX = permutation.flipX ? -1 : 1, signY = permutation.flipY ? -1 : 1;
  for (int column = 0; column < 2; ++column) permute[0][column] *= signX, permute[1][column] *= signY;

  torch::Tensor matrix = torch::empty({2, 3}, torch::dtype(torch::kDouble));
  auto entry = matrix.accessor<double, 2>();
  for (int row = 0; row < 2; ++row) {
    for (int column = 0; column < 2; ++column) {
      entry[row][column] = permute[row][0] * linear[0][column] + permute[row][1] * linear[1][column];
    }
    entry[row][2] = permute[row][0] * shift[0] + permute[row][1] * shift[1];
  }
  return matrix;
}

// U-Net paper elastic deformation: N(0, sigma^2) pixel displacements on a coarse grid, bicubic-upsampled,
// returned in normalised grid units as M x H x W x 2 (zero for samples that did not draw it).
torch::Tensor elasticDisplacement(const torch::Tensor& coarsePixels, const torch::Tensor& applies, int64_t height,
                                  int64_t width, const torch::TensorOptions& gridOptions) {
  torch::Tensor coarse = coarsePixels.to(gridOptions) * applies.to(gridOptions).view({-1, 1, 1, 1});
  torch::Tensor dense = F::interpolate(
      coarse,
      F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width}).mode(torch::kBicubic).align_corners(true));
  torch::Tensor pixelsToNormalised = torch::tensor({2.0 / width, 2.0 / height}, gridOptions).view({1, 2, 1, 1});
  return (dense * pixelsToNormalised).permute({0, 2, 3, 1});
}

// Reflection rather than border padding: border smears edge pixels into streaks that a segmentation net
// could learn as structure, while reflection continues the texture and moves the labels with it.
torch::Tensor warpImages(const torch::Tensor& images, const torch::Tensor& grid) {
  return F::grid_sample(
      images, grid.to(images.dtype()),
      F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kReflection).align_corners(false));
}

// Nearest sampling copies values, so labels stay labels; integer masks go through a float type that holds
// them exactly (float for 8/16-bit, double otherwise) and come back rounded.
torch::Tensor warpMasks(const torch::Tensor& masks, const torch::Tensor& grid) {
  const auto options =
      F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kReflection).align_corners(false);
  if (masks.is_floating_point()) return F::grid_sample(masks, grid.to(masks.dtype()), options);
  const auto carrier = masks.element_size() <= 2 ? torch::kFloat : torch::kDouble;
  return F::grid_sample(masks.to(carrier), grid.to(carrier), options).round().to(masks.dtype());
}

// Sample indices on the CPU, where the drawn parameters live; callers move them to the device as needed.
torch::Tensor indicesWhere(const std::vector<bool>& selected, bool wanted) {
  std::vector<int64_t> indices;
  for (size_t sample = 0; sample < selected.size(); ++sample) {
    if (selected[sample] == wanted) indices.push_back(static_cast<int64_t>(sample));
  }
  return torch::tensor(indices, torch::dtype(torch::kLong));
}

struct Geometry {
  torch::Tensor images;
  torch::Tensor masks;
};

Geometry applyGeometry(const torch::Tensor& images, const torch::Tensor& masks, const AugmentOptions& options,
                       const torch::Tensor& decisions, const torch::Tensor& parameters, torch::Generator& generator) {
  const int64_t samples = images.size(0), height = images.size(2), width = images.size(3);
  const torch::Device device = images.device();
  const std::vector<Permutation> permutations = drawnPermutations(decisions, parameters, height == width);
  auto decide = decisions.accessor<bool, 2>();

  std::vector<bool> warped(samples, false);
  bool anyPermuted = false, anyWarped = false, anyElastic = false;
  for (int64_t sample = 0; sample < samples; ++sample) {
    const Permutation& permutation = permutations[sample];
    anyPermuted = anyPermuted || permutation.flipX || permutation.flipY || permutation.quarterTurn;
    warped[sample] = decide[sample][kAffine] || decide[sample][kElastic];
    anyWarped = anyWarped || warped[sample];
    anyElastic = anyElastic || decide[sample][kElastic];
  }
  // Drawn whenever some sample needs it, before any early return, so the stream depends on the draws only.
  torch::Tensor coarsePixels;
  if (anyElastic) {
    const int64_t points = options.elasticGridPoints;
    coarsePixels =
        torch::randn({samples, 2, points, points}, generator, torch::dtype(torch::kFloat)) * options.elasticSigmaPixels;
  }
  const auto cloneOf = [](const torch::Tensor& tensor) { return tensor.defined() ? tensor.clone() : tensor; };
  if (!anyPermuted && !anyWarped) return {images.clone(), cloneOf(masks)};
  if (!anyWarped) {
    torch::Tensor index = permutationIndex(permutations, height, width, device);
    return {permutePixels(images, index), masks.defined() ? permutePixels(masks, index) : masks};
  }

  // Samples with only flips / quarter turns stay exact permutations; the others get one composed warp.
  torch::Tensor warpedCpuIndex = indicesWhere(warped, true);
  torch::Tensor warpedIndex = warpedCpuIndex.to(device);
  std::vector<torch::Tensor> matrices;
  std::vector<Permutation> keptPermutations;
  auto uniform = parameters.accessor<double, 2>();
  for (int64_t sample = 0; sample < samples; ++sample) {
    if (!warped[sample]) {
      keptPermutations.push_back(permutations[sample]);
      continue;
    }
    matrices.push_back(
        samplingMatrix(permutations[sample], decide[sample][kAffine], &uniform[sample][0], options, height, width));
  }
  const auto gridOptions = torch::dtype(torch::kFloat).device(device);
  const int64_t warpedCount = static_cast<int64_t>(matrices.size());
  torch::Tensor grid = F::affine_grid(torch::stack(matrices).to(gridOptions), {warpedCount, 1, height, width},
                                      /*align_corners=*/false);
  // Displacements are added in the input's frame, so their size in pixels does not depend on the drawn scale.
  if (anyElastic) {
    torch::Tensor elasticApplies = decisions.select(1, kElastic).index_select(0, warpedCpuIndex).to(torch::kFloat);
    grid = grid + elasticDisplacement(coarsePixels.index_select(0, warpedCpuIndex), elasticApplies, height, width,
                                      gridOptions);
  }

  Geometry result{torch::empty_like(images), masks.defined() ? torch::empty_like(masks) : masks};
  result.images.index_copy_(0, warpedIndex, warpImages(images.index_select(0, warpedIndex), grid));
  if (masks.defined()) result.masks.index_copy_(0, warpedIndex, warpMasks(masks.index_select(0, warpedIndex), grid));
  if (!keptPermutations.empty()) {
    torch::Tensor keptIndex = indicesWhere(warped, false).to(device);
    torch::Tensor index = permutationIndex(keptPermutations, height, width, device);
    result.images.index_copy_(0, keptIndex, permutePixels(images.index_select(0, keptIndex), index));
    if (masks.defined()) {
      result.masks.index_copy_(0, keptIndex, permutePixels(masks.index_select(0, keptIndex), index));
    }
  }
  return result;
}

// Per-image statistics over C x H x W of flat N x L images, each N x 1.
torch::Tensor imageMean(const torch::Tensor& flat) {
  return flat.mean(1, /*keepdim=*/true);
}

torch::Tensor imageStd(const torch::Tensor& flat) {
  return (flat - imageMean(flat)).pow(2).mean(1, /*keepdim=*/true).sqrt();
}

// The per-sample decision column as an N x 1 bool on the images' device.
torch::Tensor appliesColumn(const torch::Tensor& decisions, Decision decision, const torch::Device& device) {
  return decisions.select(1, decision).to(device).view({-1, 1});
}

// A uniform parameter column mapped affinely onto [low, high], as N x 1 on the images' device.
torch::Tensor uniformColumn(const torch::Tensor& parameters, Parameter parameter, double low, double high,
                            const torch::TensorOptions& options) {
  return (parameters.select(1, parameter) * (high - low) + low).to(options).view({-1, 1});
}

torch::Tensor applyIntensity(const torch::Tensor& images, const AugmentOptions& options, const torch::Tensor& decisions,
                             const torch::Tensor& parameters, torch::Generator& generator) {
  const auto applied = [&](Decision decision) { return decisions.select(1, decision).any().item<bool>(); };
  const torch::Device device = images.device();
  const auto valueOptions = images.options();
  torch::Tensor flat = images.reshape({images.size(0), images.size(1) * images.size(2) * images.size(3)});

  if (applied(kBrightness)) {
    torch::Tensor shift =
        uniformColumn(parameters, kBrightnessShift, -options.brightnessRange, options.brightnessRange, valueOptions);
    flat = torch::where(appliesColumn(decisions, kBrightness, device), flat + shift * imageStd(flat), flat);
  }
  if (applied(kContrast)) {
    torch::Tensor factor =
        uniformColumn(parameters, kContrastFactor, options.contrastMin, options.contrastMax, valueOptions);
    torch::Tensor mean = imageMean(flat);
    flat = torch::where(appliesColumn(decisions, kContrast, device), (flat - mean) * factor + mean, flat);
  }
  if (applied(kGamma)) {
    torch::Tensor exponent =
        uniformColumn(parameters, kGammaExponent, options.gammaMin, options.gammaMax, valueOptions);
    torch::Tensor low = std::get<0>(flat.min(1, /*keepdim=*/true));
    torch::Tensor range = std::get<0>(flat.max(1, /*keepdim=*/true)) - low;
    torch::Tensor hasRange = range > 0;  // a constant image has nothing to reshape
    torch::Tensor safeRange = torch::where(hasRange, range, torch::ones_like(range));
    torch::Tensor curved = ((flat - low) / safeRange).clamp(0, 1).pow(exponent) * safeRange + low;
    flat = torch::where(appliesColumn(decisions, kGamma, device) & hasRange, curved, flat);
  }
  if (applied(kNoise)) {
    torch::Tensor noisyIndex = decisions.select(1, kNoise).nonzero().view({-1});
    // Drawn in float or double whatever the image type, so the stream is the same for half-precision images.
    const auto drawType = images.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    torch::Tensor noise =
        torch::randn({noisyIndex.size(0), flat.size(1)}, generator, torch::dtype(drawType)).to(valueOptions);
    noisyIndex = noisyIndex.to(device);
    torch::Tensor scale = imageStd(flat).index_select(0, noisyIndex) * options.noiseStd;
    flat = flat.index_add(0, noisyIndex, noise * scale);
  }
  return flat.view(images.sizes());
}

}  // namespace

bool AugmentOptions::any() const {
  for (double probability :
       {horizontalFlip, verticalFlip, rotate90, affine, elastic, brightness, contrast, gamma, noise}) {
    if (probability > 0) return true;
  }
  return false;
}

void AugmentOptions::validate(const std::string& path) const {
  const auto name = [&](const char* key) { return path + "." + key; };
  const auto ordered = [&](const char* low, double lowValue, const char* high, double highValue) {
    if (lowValue > highValue) {
      throw std::invalid_argument(name(low) + ": expected at most " + name(high) + " (" + range::jsNumber(highValue) +
                                  "), got " + range::jsNumber(lowValue));
    }
  };
  for (const auto& [key, value] : {std::pair{"horizontalFlip", horizontalFlip},
                                   {"verticalFlip", verticalFlip},
                                   {"rotate90", rotate90},
                                   {"affine", affine},
                                   {"elastic", elastic},
                                   {"brightness", brightness},
                                   {"contrast", contrast},
                                   {"gamma", gamma},
                                   {"noise", noise}}) {
    range::probability(name(key), value);
  }
  range::number(name("rotationDegrees"), rotationDegrees, 0, 180);
  range::number(name("scaleMin"), scaleMin, 0, range::kInfinity, true);
  range::number(name("scaleMax"), scaleMax, 0, range::kInfinity, true);
  range::number(name("translateFraction"), translateFraction, 0, 1);
  range::atLeast(name("elasticSigmaPixels"), elasticSigmaPixels, 0);
  range::integer(name("elasticGridPoints"), elasticGridPoints, 2, 64);
  range::atLeast(name("brightnessRange"), brightnessRange, 0);
  range::atLeast(name("contrastMin"), contrastMin, 0);
  range::atLeast(name("contrastMax"), contrastMax, 0);
  range::number(name("gammaMin"), gammaMin, 0, range::kInfinity, true);
  range::number(name("gammaMax"), gammaMax, 0, range::kInfinity, true);
  range::atLeast(name("noiseStd"), noiseStd, 0);
  ordered("scaleMin", scaleMin, "scaleMax", scaleMax);
  ordered("contrastMin", contrastMin, "contrastMax", contrastMax);
  ordered("gammaMin", gammaMin, "gammaMax", gammaMax);
}

AugmentOptions AugmentOptions::defaults() {
  AugmentOptions options;
  options.horizontalFlip = 0.5;
  options.verticalFlip = 0.5;
  options.rotate90 = 0.5;
  options.affine = 0.3;
  options.elastic = 0.2;
  options.brightness = 0.3;
  options.contrast = 0.3;
  options.gamma = 0.3;
  options.noise = 0.2;
  return options;
}

std::pair<torch::Tensor, torch::Tensor> augment(const torch::Tensor& images, const torch::Tensor& masks,
                                                const AugmentOptions& options, torch::Generator& generator) {
  options.validate();
  requireInputs(images, masks);
  torch::NoGradGuard noGrad;
  const int64_t samples = images.size(0);
  // Fixed draw order: decisions for every transform, then their parameters, whatever is enabled, so turning
  // one transform on or off does not reshuffle the others.
  torch::Tensor probabilities =
      torch::tensor({options.horizontalFlip, options.verticalFlip, options.rotate90, options.affine, options.elastic,
                     options.brightness, options.contrast, options.gamma, options.noise},
                    torch::dtype(torch::kDouble));
  torch::Tensor decisions =
      torch::rand({samples, kDecisionCount}, generator, torch::dtype(torch::kDouble)) < probabilities;
  torch::Tensor parameters = torch::rand({samples, kParameterCount}, generator, torch::dtype(torch::kDouble));

  Geometry geometry = applyGeometry(images, masks, options, decisions, parameters, generator);
  return {applyIntensity(geometry.images, options, decisions, parameters, generator), geometry.masks};
}

std::pair<torch::Tensor, torch::Tensor> augment(const torch::Tensor& images, const torch::Tensor& masks,
                                                const AugmentOptions& options, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return augment(images.to(torch::kFloat32), masks, options, generator);
}

}  // namespace unet

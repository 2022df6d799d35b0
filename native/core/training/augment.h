// Batched data augmentation on the model's device. Geometric transforms move
// images and masks together, masks with nearest sampling so labels stay labels; intensity transforms touch
// images only. Every random draw comes from the generator passed in, so a seed reproduces a run on CPU.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

namespace unet {

struct AugmentOptions {
  // Each transform is applied to each image independently with its probability (0 = off).
  double horizontalFlip = 0.0;
  double verticalFlip = 0.0;
  double rotate90 = 0.0;  // a random multiple of 90 degrees; non-square images get 180 only
  double affine = 0.0;
  double rotationDegrees = 15.0;  // affine: rotation drawn uniformly from [-r, r]
  double scaleMin = 0.9;          // affine: scale drawn uniformly from [scaleMin, scaleMax]
  double scaleMax = 1.1;
  double translateFraction = 0.1;    // affine: shift drawn uniformly from [-t, t] of the height and width
  double elastic = 0.0;              // U-Net paper: random displacements on a coarse grid, smoothly interpolated
  double elasticSigmaPixels = 10.0;  // standard deviation of the displacements, in pixels
  int64_t elasticGridPoints = 3;     // the coarse grid is elasticGridPoints x elasticGridPoints
  double brightness = 0.0;
  double brightnessRange = 0.1;  // adds a value drawn from [-b, b] times the image's standard deviation
  double contrast = 0.0;
  double contrastMin = 0.8;  // scales the deviation from the image's mean by [contrastMin, contrastMax]
  double contrastMax = 1.2;
  double gamma = 0.0;
  double gammaMin = 0.8;  // raises the min-max normalised image to [gammaMin, gammaMax], then restores its range
  double gammaMax = 1.25;
  double noise = 0.0;
  double noiseStd = 0.05;  // Gaussian noise with this standard deviation times the image's standard deviation

  bool any() const;
  void validate(const std::string& path = "augment") const;  // throws std::invalid_argument naming the option
  static AugmentOptions defaults();  // what `augment: true` means (lib/training/augment.ts defaultAugment)
};

// A seeded run on the CPU generator, images as float32: what augment() from JS runs.
std::pair<torch::Tensor, torch::Tensor> augment(const torch::Tensor& images, const torch::Tensor& masks,
                                                const AugmentOptions& options, uint64_t seed);

// images: N x C x H x W float; masks: N x 1 x H x W or N x K x H x W (class indices, or one-hot / 0-1 floats).
// Returns new tensors of the same shapes, dtypes and device; the inputs are not modified.
std::pair<torch::Tensor, torch::Tensor> augment(const torch::Tensor& images, const torch::Tensor& masks,
                                                const AugmentOptions& options, torch::Generator& generator);

}  // namespace unet

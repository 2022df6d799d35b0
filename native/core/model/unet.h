// The U-Net (Ronneberger et al., 2015) built from four named blocks, as in milesial/Pytorch-UNet:
// DoubleConv, Down, Up and OutConv.
// Parameter names match test/reference/unet.py so that weights move between the two.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>

namespace unet {

enum class Norm { Batch, Instance, None };
enum class Activation { Relu, Elu, LeakyRelu };
enum class Upsampling { Transposed, Nearest, Bilinear };

// "batch" | "instance" | "none"; "relu" | "elu" | "leaky_relu"; "transposed" | "nearest" | "bilinear". A bad name
// throws std::invalid_argument naming `path`.
Norm parseNorm(const std::string& name, const std::string& path = "norm");
Activation parseActivation(const std::string& name, const std::string& path = "activation");
Upsampling parseUpsampling(const std::string& name, const std::string& path = "upsampling");
const char* normName(Norm norm);  // the inverses of the three above
const char* activationName(Activation activation);
const char* upsamplingName(Upsampling upsampling);

struct UNetOptions {
  int64_t inChannels = 1;
  int64_t classes = 1;  // 1 = binary (one logit channel), else one channel per class
  int64_t depth = 4;    // number of 2x2 poolings
  int64_t baseFilters = 64;
  double growth = 2.0;  // filters at level i = round(baseFilters * growth^i)
  Norm norm = Norm::Batch;
  Activation activation = Activation::Relu;
  Upsampling upsampling = Upsampling::Transposed;
  double dropout = 0.0;  // at the bottleneck

  int64_t filtersAt(int64_t level) const;
  double parameterEstimate() const;                          // the parameter count of the network these options build
  void validate(const std::string& path = "options") const;  // throws std::invalid_argument naming the option
};

// (3x3 conv -> norm -> activation) x 2, padded so height and width are kept.
class DoubleConvImpl : public torch::nn::Module {
 public:
  DoubleConvImpl(int64_t inChannels, int64_t outChannels, Norm norm, Activation activation);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor normalizeAndActivate(torch::nn::AnyModule& norm, const torch::Tensor& x);

  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::AnyModule norm1_, norm2_;  // empty when norm is None
  Activation activation_;
};
TORCH_MODULE(DoubleConv);

// 2x2 max pooling, then DoubleConv.
class DownImpl : public torch::nn::Module {
 public:
  DownImpl(int64_t inChannels, int64_t outChannels, Norm norm, Activation activation);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  DoubleConv conv_{nullptr};
};
TORCH_MODULE(Down);

// 2x upsampling that halves the channels, concatenation with the skip connection, then DoubleConv.
class UpImpl : public torch::nn::Module {
 public:
  UpImpl(int64_t inChannels, int64_t outChannels, Upsampling upsampling, Norm norm, Activation activation);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip);

 private:
  torch::Tensor upsample(const torch::Tensor& x);
  torch::Tensor transposedAsConv1x1(const torch::Tensor& x);

  Upsampling upsampling_;
  torch::nn::ConvTranspose2d transposed_{nullptr};  // Transposed
  torch::nn::Conv2d reduce_{nullptr};               // Nearest, Bilinear
  DoubleConv conv_{nullptr};
};
TORCH_MODULE(Up);

// 1x1 convolution to one logit channel per class.
class OutConvImpl : public torch::nn::Module {
 public:
  OutConvImpl(int64_t inChannels, int64_t classes);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(OutConv);

class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetOptions& options);

  // x: N x inChannels x H x W with H, W >= 2^depth. A size that is not a multiple of 2^depth is
  // reflect-padded up to one and the logits are cropped back, so the output is N x classes x H x W.
  torch::Tensor forward(const torch::Tensor& x);

  const UNetOptions& options() const { return options_; }
  int64_t sizeMultiple() const { return int64_t{1} << options_.depth; }
  void checkInput(const torch::Tensor& x) const;  // throws std::invalid_argument naming "x"

 private:
  torch::Tensor forwardAligned(const torch::Tensor& x);

  UNetOptions options_;
  DoubleConv inc_{nullptr};
  torch::nn::ModuleList downs_, ups_;
  torch::nn::Dropout dropout_{nullptr};
  OutConv head_{nullptr};
};
TORCH_MODULE(UNet);

int64_t parameterCount(torch::nn::Module& module);

// Nearest or bilinear (align_corners false) upsampling by 2, as Up runs it.
torch::Tensor upsample2x(Upsampling upsampling, const torch::Tensor& x);

// Runs `aligned` on x reflect-padded (bottom and right) up to a multiple of `multiple` in height and width, and
// crops its output back to x's height and width. x's height and width must be at least `multiple`.
torch::Tensor forwardAtMultiple(const torch::Tensor& x, int64_t multiple,
                                const std::function<torch::Tensor(const torch::Tensor&)>& aligned);

// NaN or Inf in images or masks would silently poison the logits (and, in training, the weights).
// Throws std::invalid_argument "<name>: contains NaN or Inf values"; integer tensors always pass.
void requireFinite(const torch::Tensor& tensor, const std::string& name);

// Images a model can take: UNet::checkInput's rank, channels and size (its messages say "x"), and finite values.
void checkImages(const UNetImpl& model, const torch::Tensor& images, const std::string& name);

}  // namespace unet

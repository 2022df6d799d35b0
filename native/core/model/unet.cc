#include "core/model/unet.h"

#include <cmath>
#include <stdexcept>

#include "core/distributed/sync_batch_norm.h"
#include "core/options/range.h"
#include "core/runtime/autocast.h"

namespace unet {

namespace F = torch::nn::functional;

namespace {

const range::Named<Norm> kNorms[] = {{Norm::Batch, "batch"}, {Norm::Instance, "instance"}, {Norm::None, "none"}};
const range::Named<Activation> kActivations[] = {
    {Activation::Relu, "relu"}, {Activation::Elu, "elu"}, {Activation::LeakyRelu, "leaky_relu"}};
const range::Named<Upsampling> kUpsamplings[] = {
    {Upsampling::Transposed, "transposed"}, {Upsampling::Nearest, "nearest"}, {Upsampling::Bilinear, "bilinear"}};

}  // namespace

Norm parseNorm(const std::string& name, const std::string& path) {
  return range::parse(kNorms, name, path);
}

Activation parseActivation(const std::string& name, const std::string& path) {
  return range::parse(kActivations, name, path);
}

Upsampling parseUpsampling(const std::string& name, const std::string& path) {
  return range::parse(kUpsamplings, name, path);
}

const char* normName(Norm norm) {
  return range::nameOf(kNorms, norm);
}

const char* activationName(Activation activation) {
  return range::nameOf(kActivations, activation);
}

const char* upsamplingName(Upsampling upsampling) {
  return range::nameOf(kUpsamplings, upsampling);
}

int64_t UNetOptions::filtersAt(int64_t level) const {
  return static_cast<int64_t>(std::llround(static_cast<double>(baseFilters) * std::pow(growth, level)));
}

double UNetOptions::parameterEstimate() const {
  const double normOrBias = norm == Norm::None ? 1.0 : 2.0;  // a bias, or a norm's scale and shift
  auto doubleConv = [&](double in, double out) { return 9 * in * out + 9 * out * out + 2 * normOrBias * out; };
  const double upKernel = upsampling == Upsampling::Transposed ? 4.0 : 1.0;
  double total = doubleConv(static_cast<double>(inChannels), static_cast<double>(filtersAt(0)));
  for (int64_t level = 0; level < depth; ++level) {
    const auto upper = static_cast<double>(filtersAt(level)), lower = static_cast<double>(filtersAt(level + 1));
    total += doubleConv(upper, lower) + upKernel * lower * upper + upper + doubleConv(2 * upper, upper);
  }
  return total + static_cast<double>(filtersAt(0) * classes + classes);
}

void UNetOptions::validate(const std::string& path) const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
  };
  range::integer(path + ".inChannels", inChannels, 1, 4096);
  range::integer(path + ".classes", classes, 1, 4096);
  range::integer(path + ".depth", depth, 1, 6);
  range::integer(path + ".baseFilters", baseFilters, 1, 4096);
  range::number(path + ".growth", growth, 1, 4);
  range::number(path + ".dropout", dropout, 0, 1, false, true);
  require(filtersAt(depth) <= 65536, "baseFilters, growth, depth: the bottleneck would have over 65536 filters");
  // Weights alone of a bigger network take over 4 GB: refuse before allocating rather than be killed by the OS.
  const double parameters = parameterEstimate();
  require(parameters <= 1e9, "baseFilters, growth, depth: the network would have " +
                                 std::to_string(static_cast<int64_t>(parameters)) +
                                 " parameters; at most 1e9 (4 GB of float32 weights) are allowed");
}

namespace {

// Convolutions followed by a normalisation need no bias: the norm's shift replaces it.
torch::nn::Conv2d conv3x3(int64_t in, int64_t out, bool bias) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(bias));
}

torch::nn::AnyModule makeNorm(Norm norm, int64_t channels) {
  switch (norm) {
    case Norm::Batch: return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
    case Norm::Instance:
      return torch::nn::AnyModule(torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(channels).affine(true)));
    case Norm::None: break;
  }
  return {};
}

torch::Tensor activate(Activation activation, const torch::Tensor& x) {
  switch (activation) {
    case Activation::Relu: return torch::relu(x);
    case Activation::Elu: return torch::elu(x);
    case Activation::LeakyRelu: return torch::leaky_relu(x, 0.01);
  }
  return x;
}

}  // namespace

DoubleConvImpl::DoubleConvImpl(int64_t inChannels, int64_t outChannels, Norm norm, Activation activation)
    : activation_(activation) {
  const bool bias = norm == Norm::None;
  conv1_ = register_module("conv1", conv3x3(inChannels, outChannels, bias));
  norm1_ = makeNorm(norm, outChannels);
  if (!norm1_.is_empty()) register_module("norm1", norm1_.ptr());
  conv2_ = register_module("conv2", conv3x3(outChannels, outChannels, bias));
  norm2_ = makeNorm(norm, outChannels);
  if (!norm2_.is_empty()) register_module("norm2", norm2_.ptr());
}

torch::Tensor DoubleConvImpl::normalizeAndActivate(torch::nn::AnyModule& norm, const torch::Tensor& x) {
  if (norm.is_empty()) return activate(activation_, x);
  // Distributed training with syncBatchNorm: the statistics of every rank's batch.
  auto* group = is_training() ? syncBatchNormGroup() : nullptr;
  auto* batchNorm = group ? norm.ptr()->as<torch::nn::BatchNorm2dImpl>() : nullptr;
  return activate(activation_, batchNorm ? syncBatchNorm(x, *batchNorm, *group) : norm.forward(x));
}

torch::Tensor DoubleConvImpl::forward(const torch::Tensor& x) {
  auto y = normalizeAndActivate(norm1_, conv1_->forward(x));
  return normalizeAndActivate(norm2_, conv2_->forward(y));
}

DownImpl::DownImpl(int64_t inChannels, int64_t outChannels, Norm norm, Activation activation) {
  conv_ = register_module("conv", DoubleConv(inChannels, outChannels, norm, activation));
}

torch::Tensor DownImpl::forward(const torch::Tensor& x) {
  return conv_->forward(torch::max_pool2d(x, 2));
}

UpImpl::UpImpl(int64_t inChannels, int64_t outChannels, Upsampling upsampling, Norm norm, Activation activation)
    : upsampling_(upsampling) {
  if (upsampling == Upsampling::Transposed) {
    transposed_ = register_module(
        "up", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(inChannels, outChannels, 2).stride(2)));
  } else {
    reduce_ = register_module("up", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, outChannels, 1)));
  }
  conv_ = register_module("conv", DoubleConv(2 * outChannels, outChannels, norm, activation));
}

torch::Tensor UpImpl::upsample(const torch::Tensor& x) {
  if (upsampling_ == Upsampling::Transposed) {
    // Under CPU autocast, libtorch runs conv_transpose2d in fp32 (its bf16 kernel in 1.13 fails on valid input),
    // and the fp32 result makes the concatenation fp32 too. The same function as a 1x1 convolution runs in bf16.
    return cpuAutocastBf16() ? transposedAsConv1x1(x) : transposed_->forward(x);
  }
  // A 1x1 convolution commutes with nearest and bilinear interpolation (both are per-channel
  // convex combinations), so running it before the upsampling gives the same result on 4x fewer pixels.
  return upsample2x(upsampling_, reduce_->forward(x));
}

// ConvTranspose2d 2x2, stride 2: each input pixel gives 2x2 output pixels and no two overlap, so it is a 1x1
// convolution to (row, column, channel) = 4 x out channels, whose pixels are then spread out 2x2.
torch::Tensor UpImpl::transposedAsConv1x1(const torch::Tensor& x) {
  const auto& weight = transposed_->weight;  // in x out x 2 x 2
  const int64_t out = weight.size(1), images = x.size(0), height = x.size(2), width = x.size(3);
  const auto quads = torch::conv2d(x, weight.permute({2, 3, 1, 0}).reshape({4 * out, weight.size(0), 1, 1}),
                                   transposed_->bias.repeat({4}));
  // N x (2 x 2 x out) x H x W -> N x out x H x 2 x W x 2 -> N x out x 2H x 2W, channels-last.
  return quads.view({images, 2, 2, out, height, width})
      .permute({0, 3, 4, 1, 5, 2})
      .reshape({images, out, 2 * height, 2 * width})
      .contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor UpImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  return conv_->forward(torch::cat({skip, upsample(x)}, 1));
}

OutConvImpl::OutConvImpl(int64_t inChannels, int64_t classes) {
  conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, classes, 1)));
}

torch::Tensor OutConvImpl::forward(const torch::Tensor& x) {
  return conv_->forward(x);
}

UNetImpl::UNetImpl(const UNetOptions& options) : options_(options) {
  options_.validate();
  const auto& o = options_;
  inc_ = register_module("inc", DoubleConv(o.inChannels, o.filtersAt(0), o.norm, o.activation));
  downs_ = register_module("downs", torch::nn::ModuleList());
  for (int64_t level = 0; level < o.depth; ++level) {
    downs_->push_back(Down(o.filtersAt(level), o.filtersAt(level + 1), o.norm, o.activation));
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(o.dropout));
  ups_ = register_module("ups", torch::nn::ModuleList());
  for (int64_t level = o.depth; level > 0; --level) {
    ups_->push_back(Up(o.filtersAt(level), o.filtersAt(level - 1), o.upsampling, o.norm, o.activation));
  }
  head_ = register_module("head", OutConv(o.filtersAt(0), o.classes));
}

void UNetImpl::checkInput(const torch::Tensor& x) const {
  auto fail = [](const std::string& message) { throw std::invalid_argument("x: " + message); };
  if (x.dim() != 4) fail("expected NCHW images (rank 4), got rank " + std::to_string(x.dim()));
  if (x.size(1) != options_.inChannels) {
    fail("expected " + std::to_string(options_.inChannels) + " channels (the model's inChannels), got " +
         std::to_string(x.size(1)));
  }
  const int64_t minimum = sizeMultiple();
  if (x.size(0) < 1) fail("expected at least one image, got a batch of 0");
  if (x.size(2) < minimum || x.size(3) < minimum) {
    fail("height and width must be at least 2^depth = " + std::to_string(minimum) + ", got " +
         std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)) + "; use a smaller depth or a larger image");
  }
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x) {
  checkInput(x);
  return forwardAtMultiple(x, sizeMultiple(), [this](const torch::Tensor& aligned) { return forwardAligned(aligned); });
}

torch::Tensor UNetImpl::forwardAligned(const torch::Tensor& x) {
  std::vector<torch::Tensor> skips;
  skips.reserve(static_cast<size_t>(options_.depth));
  auto y = inc_->forward(x);
  for (const auto& down : *downs_) {
    skips.push_back(y);
    y = down->as<Down>()->forward(y);
  }
  y = dropout_->forward(y);
  for (const auto& up : *ups_) {
    y = up->as<Up>()->forward(y, skips.back());
    skips.pop_back();
  }
  return head_->forward(y);
}

torch::Tensor upsample2x(Upsampling upsampling, const torch::Tensor& x) {
  auto options = F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0});
  if (upsampling == Upsampling::Nearest) {
    options.mode(torch::kNearest);
  } else {
    options.mode(torch::kBilinear).align_corners(false);
  }
  return F::interpolate(x, options);
}

torch::Tensor forwardAtMultiple(const torch::Tensor& x, int64_t multiple,
                                const std::function<torch::Tensor(const torch::Tensor&)>& aligned) {
  const int64_t height = x.size(2), width = x.size(3);
  const int64_t padBottom = (multiple - height % multiple) % multiple;
  const int64_t padRight = (multiple - width % multiple) % multiple;
  if (padBottom == 0 && padRight == 0) return aligned(x);
  // Reflect padding needs pad < size, which holds because size >= multiple > pad.
  auto padded = F::pad(x, F::PadFuncOptions({0, padRight, 0, padBottom}).mode(torch::kReflect));
  using torch::indexing::Slice;
  return aligned(padded).index({Slice(), Slice(), Slice(0, height), Slice(0, width)});
}

int64_t parameterCount(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

void requireFinite(const torch::Tensor& tensor, const std::string& name) {
  if (tensor.is_floating_point() && !torch::isfinite(tensor).all().item<bool>()) {
    throw std::invalid_argument(name + ": contains NaN or Inf values");
  }
}

void checkImages(const UNetImpl& model, const torch::Tensor& images, const std::string& name) {
  model.checkInput(images);
  requireFinite(images, name);
}

}  // namespace unet

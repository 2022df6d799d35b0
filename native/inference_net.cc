#include "inference_net.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <optional>
#include <string>

namespace unet {

namespace {

// Folds one DoubleConv's norm (batch norm, eval statistics) into the convolution before it.
void foldPair(torch::nn::Module& source, torch::nn::Module& target, const std::string& conv, const std::string& norm) {
  auto sourceParameters = source.named_parameters(true);
  auto sourceBuffers = source.named_buffers(true);
  auto targetParameters = target.named_parameters(true);
  const auto weight = sourceParameters[conv + ".weight"];
  const auto gamma = sourceParameters[norm + ".weight"], beta = sourceParameters[norm + ".bias"];
  const auto mean = sourceBuffers[norm + ".running_mean"], variance = sourceBuffers[norm + ".running_var"];
  const auto scale = gamma / torch::sqrt(variance + 1e-5);  // BatchNorm2d's default eps
  targetParameters[conv + ".weight"].copy_(weight * scale.view({-1, 1, 1, 1}));
  targetParameters[conv + ".bias"].copy_(beta - mean * scale);
}

// libtorch's prepacked oneDNN convolution (what torch.jit.optimize_for_inference uses), looked up at run time:
// a libtorch without it, or with another signature, gets the plain path instead.
struct PrepackedOps {
  c10::OperatorHandle prepack;  // (weight, bias, stride, padding, dilation, groups, input_size, attr) -> context
  c10::OperatorHandle run;      // (input, context) -> output, in the input's memory format
};

const PrepackedOps* prepackedOps() {
  static const std::optional<PrepackedOps> ops = []() -> std::optional<PrepackedOps> {
    auto& dispatcher = c10::Dispatcher::singleton();
    auto prepack = dispatcher.findSchema({"mkldnn_prepacked::conv2d_prepack", ""});
    auto run = dispatcher.findSchema({"mkldnn_prepacked::conv2d_run", ""});
    if (!prepack || !run) return std::nullopt;
    return PrepackedOps{*prepack, *run};
  }();
  return ops ? &*ops : nullptr;
}

// A channels-last tensor whose strides say so even where a size of 1 makes them ambiguous: libtorch reads an
// ambiguous tensor as NCHW, and oneDNN would then run NCHW kernels and reorders after every convolution.
torch::Tensor channelsLast(const torch::Tensor& x) {
  if (x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast) return x;
  const int64_t channels = x.size(1), height = x.size(2), width = x.size(3);
  const std::vector<int64_t> strides = {channels * height * width, 1, width * channels, channels};
  if (channels == 1) return x.contiguous().as_strided(x.sizes(), strides);  // the same memory either way
  return torch::empty_strided(x.sizes(), strides, x.options()).copy_(x);
}

// Activations of this many pixels a chunk (N x H x W) stay in the caches and below glibc's mmap threshold, so
// their memory is reused from call to call instead of being mapped and zeroed again.
constexpr int64_t kChunkPixels = 256 * 256;
// The input size the weights are prepacked for (oneDNN picks their layout for it); any size runs.
constexpr int64_t kNominalSize = 256;

}  // namespace

UNet foldForInference(UNet& model) {
  torch::NoGradGuard noGrad;
  auto options = model->options();
  const bool folds = options.norm == Norm::Batch;
  if (folds) options.norm = Norm::None;
  UNet twin(options);
  twin->to(model->parameters().front().device());
  auto targetParameters = twin->named_parameters(true);
  // Everything but the folded pairs copies over by name.
  for (const auto& item : model->named_parameters(true)) {
    if (targetParameters.contains(item.key()) && item.key().find(".norm") == std::string::npos) {
      targetParameters[item.key()].copy_(item.value());
    }
  }
  if (folds) {
    for (const auto& item : model->named_modules("", false)) {
      if (!item.value()->as<DoubleConvImpl>()) continue;
      auto& source = *item.value();
      auto& target = *twin->named_modules("", false)[item.key()];
      foldPair(source, target, "conv1", "norm1");
      foldPair(source, target, "conv2", "norm2");
    }
  } else {
    auto targetBuffers = twin->named_buffers(true);
    for (const auto& item : model->named_parameters(true)) targetParameters[item.key()].copy_(item.value());
    for (const auto& item : model->named_buffers(true)) targetBuffers[item.key()].copy_(item.value());
  }
  twin->eval();
  return twin;
}

InferenceNet::InferenceNet(UNet& model) : twin_(foldForInference(model)) {
  const auto& options = twin_->options();
  const auto weight = twin_->parameters().front();
  const bool supported = weight.device().is_cpu() && weight.scalar_type() == torch::kFloat32 &&
                         options.norm == Norm::None && at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() &&
                         prepackedOps() != nullptr;
  if (!supported) return;
  try {
    prepack();
    prepacked_ = true;
  } catch (const std::exception&) {
    // A libtorch whose prepacked convolution differs from 1.13's: the folded twin gives the same logits.
    downs_.clear();
    ups_.clear();
  }
}

InferenceNet::PackedConv InferenceNet::pack(const torch::Tensor& weight, const torch::Tensor& bias, int64_t size,
                                            bool relu) const {
  torch::NoGradGuard noGrad;
  const int64_t padding = weight.size(2) / 2;
  // Channels-last weights: oneDNN lays them out for channels-last activations.
  torch::jit::Stack stack{channelsLast(weight.detach()),
                          bias.detach().contiguous(),
                          std::vector<int64_t>{1, 1},
                          std::vector<int64_t>{padding, padding},
                          std::vector<int64_t>{1, 1},
                          int64_t{1},
                          std::vector<int64_t>{1, weight.size(1), size, size},
                          std::string(relu ? "relu" : "none")};
  prepackedOps()->prepack.callBoxed(&stack);
  return {stack.at(0)};
}

void InferenceNet::prepack() {
  const auto& o = twin_->options();
  const bool relu = o.activation == Activation::Relu;
  auto parameters = twin_->named_parameters(true);
  const auto sizeAt = [](int64_t level) { return std::max<int64_t>(1, kNominalSize >> level); };
  const auto doubleConv = [&](const std::string& prefix, int64_t level) {
    return PackedDoubleConv{
        pack(parameters[prefix + ".conv1.weight"], parameters[prefix + ".conv1.bias"], sizeAt(level), relu),
        pack(parameters[prefix + ".conv2.weight"], parameters[prefix + ".conv2.bias"], sizeAt(level), relu)};
  };
  inc_ = doubleConv("inc", 0);
  for (int64_t level = 1; level <= o.depth; ++level) {
    downs_.push_back(doubleConv("downs." + std::to_string(level - 1) + ".conv", level));
  }
  for (int64_t index = 0; index < o.depth; ++index) {
    const int64_t level = o.depth - index;  // the level this block upsamples from
    const std::string prefix = "ups." + std::to_string(index);
    auto weight = parameters[prefix + ".up.weight"];
    auto bias = parameters[prefix + ".up.bias"];
    const int64_t channels = o.filtersAt(level - 1);
    if (o.upsampling == Upsampling::Transposed) {
      // ConvTranspose2d 2x2, stride 2 (in x out x 2 x 2): each input pixel gives 2x2 output pixels and no two
      // overlap, so it is a 1x1 convolution to (row, column, channel) = 4 x out channels.
      weight = weight.permute({2, 3, 1, 0}).reshape({4 * channels, weight.size(0), 1, 1});
      bias = bias.repeat({4});
    }
    ups_.push_back(
        PackedUp{pack(weight, bias, sizeAt(level), false), channels, doubleConv(prefix + ".conv", level - 1)});
  }
  head_ = pack(parameters["head.conv.weight"], parameters["head.conv.bias"], sizeAt(0), false);
}

torch::Tensor InferenceNet::run(const PackedConv& conv, const torch::Tensor& x) const {
  torch::jit::Stack stack{x, conv.context};
  prepackedOps()->run.callBoxed(&stack);
  return stack.at(0).toTensor();
}

torch::Tensor InferenceNet::doubleConv(const PackedDoubleConv& block, const torch::Tensor& x) const {
  const auto activation = twin_->options().activation;
  auto convolve = [&](const PackedConv& conv, const torch::Tensor& input) {
    auto y = run(conv, input);  // ReLU is fused; the others run in place
    if (activation == Activation::Elu) torch::elu_(y);
    if (activation == Activation::LeakyRelu) torch::leaky_relu_(y, 0.01);
    return y;
  };
  return convolve(block.second, convolve(block.first, x));
}

torch::Tensor InferenceNet::up(const PackedUp& block, const torch::Tensor& x, const torch::Tensor& skip) const {
  const int64_t images = x.size(0), height = x.size(2), width = x.size(3), channels = block.channels;
  // torch.cat([skip, upsampled], 1), built in place: channels-last, so (N, 2h, 2w, 2c) in memory.
  auto joined = torch::empty({images, 2 * channels, 2 * height, 2 * width},
                             x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  auto pixels = joined.permute({0, 2, 3, 1});
  pixels.narrow(3, 0, channels).copy_(skip.permute({0, 2, 3, 1}));
  const auto upsampling = twin_->options().upsampling;
  if (upsampling == Upsampling::Transposed) {
    // At each input pixel, the channels of its 2x2 output pixels in (row, column, channel) order.
    const auto quads = run(block.up, x).permute({0, 2, 3, 1}).reshape({images, height, width, 2, 2, channels});
    pixels.view({images, height, 2, width, 2, 2 * channels})
        .narrow(5, channels, channels)
        .copy_(quads.permute({0, 1, 3, 2, 4, 5}));
  } else {
    pixels.narrow(3, channels, channels).copy_(upsample2x(upsampling, run(block.up, x)).permute({0, 2, 3, 1}));
  }
  return doubleConv(block.conv, joined);
}

torch::Tensor InferenceNet::forwardPacked(const torch::Tensor& x) const {
  auto y = doubleConv(inc_, channelsLast(x));
  std::vector<torch::Tensor> skips;
  skips.reserve(downs_.size());
  for (const auto& down : downs_) {
    skips.push_back(y);
    y = doubleConv(down, torch::max_pool2d(y, 2));
  }
  for (const auto& block : ups_) {
    y = up(block, y, skips.back());
    skips.pop_back();
  }
  return run(head_, y);
}

torch::Tensor InferenceNet::forward(const torch::Tensor& x) {
  if (!prepacked_) return twin_->forward(x);
  twin_->checkInput(x);
  return forwardAtMultiple(x, twin_->sizeMultiple(), [this](const torch::Tensor& aligned) {
    const int64_t images = aligned.size(0), height = aligned.size(2), width = aligned.size(3);
    const int64_t chunk = std::max<int64_t>(1, kChunkPixels / (height * width));
    if (images <= chunk) return forwardPacked(aligned).contiguous();
    auto logits = torch::empty({images, twin_->options().classes, height, width}, aligned.options());
    for (int64_t start = 0; start < images; start += chunk) {
      const int64_t count = std::min(chunk, images - start);
      logits.narrow(0, start, count).copy_(forwardPacked(aligned.narrow(0, start, count)));
    }
    return logits;
  });
}

}  // namespace unet

#include "core/inference/inference_net.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

#include "core/runtime/autocast.h"

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

// Activations are fp32 (float) or bf16, whose values the kernels below only copy and compare: they hold them as
// their bits (uint16_t), which the compiler vectorises where it would not c10::BFloat16's conversions.
using Bf16Bits = uint16_t;

inline float widen(Bf16Bits bits) {  // bf16 is the top half of an fp32
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

// The pixels of a channels-last tensor: N x H x W x C in memory.
template <typename T>
T* pixelsOf(const torch::Tensor& x) {
  constexpr auto type = std::is_same_v<T, float> ? torch::kFloat32 : torch::kBFloat16;
  TORCH_CHECK(x.scalar_type() == type && x.is_contiguous(torch::MemoryFormat::ChannelsLast),
              "InferenceNet: expected a channels-last ", type, " tensor, got ", x.scalar_type());
  return static_cast<T*>(x.data_ptr());
}

// Calls body(T{}) with T the activations' element type: float or Bf16Bits.
template <typename Body>
torch::Tensor byElement(const torch::Tensor& x, Body body) {
  return x.scalar_type() == torch::kBFloat16 ? body(Bf16Bits{}) : body(float{});
}

// Rows a task of the kernels below: libtorch's grain size in elements, so that small images run on the calling
// thread instead of waking the pool (whose spinning threads would take the cores from the event loop).
int64_t rowsPerTask(int64_t rowElements) {
  return std::max<int64_t>(1, at::internal::GRAIN_SIZE / std::max<int64_t>(1, rowElements));
}

// The maximum of four pixels' channels. The pointers never alias (__restrict), so the compiler vectorises the loop.
inline void maxOfFour(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                      const float* __restrict d, float* __restrict out, int64_t channels) {
  for (int64_t channel = 0; channel < channels; ++channel) {
    out[channel] = std::max(std::max(a[channel], b[channel]), std::max(c[channel], d[channel]));
  }
}

// The same in bf16: compared as fp32; the maximum is one of the four, so its top half is its bf16 exactly.
inline void maxOfFour(const Bf16Bits* __restrict a, const Bf16Bits* __restrict b, const Bf16Bits* __restrict c,
                      const Bf16Bits* __restrict d, Bf16Bits* __restrict out, int64_t channels) {
  for (int64_t channel = 0; channel < channels; ++channel) {
    const float largest =
        std::max(std::max(widen(a[channel]), widen(b[channel])), std::max(widen(c[channel]), widen(d[channel])));
    uint32_t bits;
    std::memcpy(&bits, &largest, sizeof bits);
    out[channel] = static_cast<Bf16Bits>(bits >> 16);
  }
}

// 2x2 max pooling, stride 2, of a channels-last tensor (no pooling indices, unlike libtorch's).
template <typename T>
torch::Tensor maxPoolOf(const torch::Tensor& x) {
  const int64_t images = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  auto pooled = torch::empty({images, channels, height / 2, width / 2},
                             x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const T* source = pixelsOf<T>(x);
  T* output = pixelsOf<T>(pooled);
  at::parallel_for(0, images * (height / 2), rowsPerTask(2 * width * channels), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // a row of the output: two rows of the input
      const T* top = source + 2 * row * width * channels;
      const T* bottom = top + width * channels;
      T* out = output + row * (width / 2) * channels;
      for (int64_t column = 0; column < width; column += 2, out += channels) {
        const T* a = top + column * channels;
        const T* c = bottom + column * channels;
        maxOfFour(a, a + channels, c, c + channels, out, channels);
      }
    }
  });
  return pooled;
}

torch::Tensor maxPool(const torch::Tensor& x) {
  return byElement(x, [&](auto element) { return maxPoolOf<decltype(element)>(x); });
}

// GCC and clang turn a loop that copies floats into a call to memmove: here a call for every pixel (64 bytes at 16
// channels), which took longer than the copies. Functions marked so keep such loops as vector moves.
#if defined(__clang__)
#define UNET_INLINE_COPIES __attribute__((no_builtin("memcpy", "memmove")))
#elif defined(__GNUC__)
#define UNET_INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define UNET_INLINE_COPIES
#endif

// One row of torch.cat([skip, upsampled], 1), channels-last: each pixel's C skip channels, then its C upsampled
// ones. The upsampled channels of pixel x are at up + (x / group) * groupStride + (x % group) * C.
template <typename T>
UNET_INLINE_COPIES void concatenateRow(const T* __restrict skip, const T* __restrict up, int64_t width,
                                       int64_t channels, int64_t group, int64_t groupStride, T* __restrict out) {
  for (int64_t x = 0; x < width; ++x, skip += channels, out += 2 * channels) {
    const T* upsampled = up + (x / group) * groupStride + (x % group) * channels;
    for (int64_t channel = 0; channel < channels; ++channel) out[channel] = skip[channel];
    for (int64_t channel = 0; channel < channels; ++channel) out[channels + channel] = upsampled[channel];
  }
}

// torch.cat([skip, upsampled], 1), channels-last, written pixel by pixel in one pass, so that each cache line of
// the result is written whole, once. `upsampledRow(image, y)` points to the upsampled channels of the row's first
// pixel; `group` and `groupStride` place the others (see concatenateRow).
template <typename T, typename UpsampledRow>
torch::Tensor concatenate(const torch::Tensor& skip, UpsampledRow upsampledRow, int64_t group, int64_t groupStride) {
  const int64_t images = skip.size(0), channels = skip.size(1), height = skip.size(2), width = skip.size(3);
  auto joined = torch::empty({images, 2 * channels, height, width},
                             skip.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const T* source = pixelsOf<T>(skip);
  T* target = pixelsOf<T>(joined);
  at::parallel_for(0, images * height, rowsPerTask(4 * width * channels), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      concatenateRow(source + row * width * channels, upsampledRow(row / height, row % height), width, channels, group,
                     groupStride, target + row * width * 2 * channels);
    }
  });
  return joined;
}

// The concatenation with a transposed 2x2 upsampling computed as a 1x1 convolution: `quads` (N x 4C x H/2 x W/2
// channels-last) holds at each pixel the C channels of its 2x2 output pixels in (row, column, channel) order, so
// an output row's pixels come in pairs, 2C channels a quad.
torch::Tensor concatenateQuads(const torch::Tensor& skip, const torch::Tensor& quads) {
  return byElement(skip, [&](auto element) {
    using T = decltype(element);
    const int64_t channels = skip.size(1), height = skip.size(2), width = skip.size(3);
    const T* source = pixelsOf<T>(quads);
    const auto upsampledRow = [=](int64_t image, int64_t y) {
      return source + ((image * (height / 2) + y / 2) * (width / 2) * 4 + (y % 2) * 2) * channels;
    };
    return concatenate<T>(skip, upsampledRow, 2, 4 * channels);
  });
}

// The concatenation with an upsampled tensor (N x C x H x W channels-last).
torch::Tensor concatenateUpsampled(const torch::Tensor& skip, const torch::Tensor& upsampled) {
  return byElement(skip, [&](auto element) {
    using T = decltype(element);
    const int64_t channels = skip.size(1), height = skip.size(2), width = skip.size(3);
    const T* source = pixelsOf<T>(upsampled);
    const auto upsampledRow = [=](int64_t image, int64_t y) {
      return source + (image * height + y) * width * channels;
    };
    return concatenate<T>(skip, upsampledRow, 1, channels);
  });
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

InferenceNet::InferenceNet(UNet& model, Precision precision) : twin_(foldForInference(model)), precision_(precision) {
  const auto& options = twin_->options();
  const auto weight = twin_->parameters().front();
  const bool supported = weight.device().is_cpu() && weight.scalar_type() == torch::kFloat32 &&
                         options.norm == Norm::None && at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() &&
                         prepackedOps() != nullptr && precision != Precision::Fp16;
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
  // Channels-last weights: oneDNN lays them out for channels-last activations. In bf16 the weights are rounded
  // once here (after batch norm was folded into them in fp32); the bias stays fp32, as oneDNN adds it in fp32.
  torch::jit::Stack stack{channelsLast(weight.detach().to(dtypeOf(precision_))),
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
    ups_.push_back(PackedUp{pack(weight, bias, sizeAt(level), false), doubleConv(prefix + ".conv", level - 1)});
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
  const auto upsampling = twin_->options().upsampling;
  auto reduced = run(block.up, x);
  auto joined =
      upsampling == Upsampling::Transposed
          ? concatenateQuads(skip, reduced)
          : concatenateUpsampled(skip, upsample2x(upsampling, reduced).contiguous(torch::MemoryFormat::ChannelsLast));
  return doubleConv(block.conv, joined);
}

torch::Tensor InferenceNet::forwardPacked(const torch::Tensor& x) const {
  // In bf16 the activations stay bf16 from the first convolution to the logits, which come back as fp32.
  auto y = doubleConv(inc_, channelsLast(x).to(dtypeOf(precision_)));
  std::vector<torch::Tensor> skips;
  skips.reserve(downs_.size());
  for (const auto& down : downs_) {
    skips.push_back(y);
    y = doubleConv(down, maxPool(y));
  }
  for (const auto& block : ups_) {
    y = up(block, y, skips.back());
    skips.pop_back();
  }
  return run(head_, y).to(torch::kFloat32);
}

torch::Tensor InferenceNet::forward(const torch::Tensor& x) {
  if (!prepacked_) {
    Autocast autocast(x.device(), precision_);
    return twin_->forward(x).to(torch::kFloat32);
  }
  return forwardAtMultiple(x, twin_->sizeMultiple(), [this](const torch::Tensor& aligned) {
    const int64_t images = aligned.size(0), height = aligned.size(2), width = aligned.size(3);
    const int64_t chunk = std::max<int64_t>(1, kChunkPixels / (height * width));
    if (images <= chunk) return forwardPacked(aligned).contiguous();
    auto logits = torch::empty({images, twin_->options().classes, height, width}, aligned.options());
    const int64_t chunks = (images + chunk - 1) / chunk;
    const auto runChunk = [&](int64_t index) {
      const int64_t start = index * chunk, count = std::min(chunk, images - start);
      logits.narrow(0, start, count).copy_(forwardPacked(aligned.narrow(0, start, count)));
    };
    // Whole rounds of chunks run one per thread, each on one core (libtorch and oneDNN run nested parallel work
    // inline): no barrier after every convolution, and each core keeps its own activations in its cache. Two
    // images take about 1.3 times one image on two cores this way against 2 times one after the other. Each
    // thread takes the next chunk when it is done with one, so a core slowed by other work takes fewer. What is
    // left runs one chunk at a time on all threads.
    const int64_t threads = at::get_num_threads();
    const int64_t inParallel = threads > 1 ? chunks / threads * threads : 0;
    if (inParallel > 0) {
      std::atomic<int64_t> next{0};
      at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
        c10::InferenceMode inference;  // thread-local: the pool's threads need their own
        for (int64_t index = next++; index < inParallel; index = next++) runChunk(index);
      });
    }
    for (int64_t index = inParallel; index < chunks; ++index) runChunk(index);
    return logits;
  });
}

}  // namespace unet

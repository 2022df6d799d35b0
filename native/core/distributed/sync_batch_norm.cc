#include "core/distributed/sync_batch_norm.h"

#include <cstdint>

namespace unet {

namespace {

thread_local ProcessGroup* currentGroup = nullptr;

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

torch::Tensor perChannel(const torch::Tensor& values) {
  return values.view({1, -1, 1, 1});
}

// Sums over ranks, in float64 so that the sums of a large batch keep fp32's precision.
torch::Tensor sumOverRanks(ProcessGroup& group, torch::Tensor values) {
  values = values.to(torch::kFloat64).contiguous();
  group.allreduceSum({values})->wait();
  return values;
}

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, torch::Tensor runningMean, torch::Tensor runningVar,
                               double momentum, double eps, int64_t groupAddress) {
    auto& group = *reinterpret_cast<ProcessGroup*>(groupAddress);  // outlives the step (DataParallel holds it)
    const int64_t channels = x.size(1);
    const auto input = x.to(torch::kFloat32);
    const auto local = torch::cat({input.sum({0, 2, 3}), (input * input).sum({0, 2, 3}),
                                   torch::full({1}, static_cast<double>(x.numel() / channels), input.options())});
    const auto sums = sumOverRanks(group, local);
    const double count = sums[2 * channels].item<double>();
    const auto mean = sums.narrow(0, 0, channels) / count;
    const auto variance = (sums.narrow(0, channels, channels) / count - mean * mean).clamp_min(0);
    const auto invstd = (variance + eps).rsqrt();
    {
      torch::NoGradGuard noGrad;
      runningMean.mul_(1 - momentum).add_(mean.to(runningMean.dtype()), momentum);
      runningVar.mul_(1 - momentum).add_((variance * (count / (count - 1))).to(runningVar.dtype()), momentum);
    }
    const auto mean32 = mean.to(torch::kFloat32), invstd32 = invstd.to(torch::kFloat32);
    ctx->save_for_backward({input, weight, mean32, invstd32});
    ctx->saved_data["count"] = count;
    ctx->saved_data["group"] = groupAddress;
    const auto xhat = (input - perChannel(mean32)) * perChannel(invstd32);
    return (xhat * perChannel(weight) + perChannel(bias)).to(x.scalar_type());
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list gradients) {
    const auto saved = ctx->get_saved_variables();
    const auto &input = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3];
    const double count = ctx->saved_data["count"].toDouble();
    auto& group = *reinterpret_cast<ProcessGroup*>(ctx->saved_data["group"].toInt());
    const auto dy = gradients[0].to(torch::kFloat32);
    const auto xhat = (input - perChannel(mean)) * perChannel(invstd);
    const auto sumDy = dy.sum({0, 2, 3}), sumDyXhat = (dy * xhat).sum({0, 2, 3});
    const int64_t channels = input.size(1);
    const auto all = sumOverRanks(group, torch::cat({sumDy, sumDyXhat})).to(torch::kFloat32);
    const auto meanDy = all.narrow(0, 0, channels) / count, meanDyXhat = all.narrow(0, channels, channels) / count;
    const auto dx = perChannel(weight * invstd) * (dy - perChannel(meanDy) - xhat * perChannel(meanDyXhat));
    return {dx.to(gradients[0].scalar_type()), sumDyXhat, sumDy, {}, {}, {}, {}, {}};
  }
};

}  // namespace

SyncBatchNormScope::SyncBatchNormScope(ProcessGroup* group) : previous_(currentGroup) {
  currentGroup = group;
}

SyncBatchNormScope::~SyncBatchNormScope() {
  currentGroup = previous_;
}

ProcessGroup* syncBatchNormGroup() {
  return currentGroup;
}

torch::Tensor syncBatchNorm(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& norm, ProcessGroup& group) {
  const auto& options = norm.options;
  {
    torch::NoGradGuard noGrad;
    norm.num_batches_tracked.add_(1);
  }
  return SyncBatchNormFunction::apply(x, norm.weight, norm.bias, norm.running_mean, norm.running_var,
                                      options.momentum().value_or(0.1), options.eps(),
                                      reinterpret_cast<int64_t>(&group));
}

}  // namespace unet

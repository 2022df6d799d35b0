#include "core/distributed/process_group.h"

#include <algorithm>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

#include "core/options/range.h"

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace unet {

namespace {

constexpr range::Named<DistributedBackend> kBackends[] = {{DistributedBackend::Gloo, "gloo"},
                                                          {DistributedBackend::Nccl, "nccl"}};

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)

std::chrono::milliseconds timeoutOf(const ProcessGroupOptions& options) {
  return std::chrono::milliseconds(static_cast<int64_t>(options.timeoutSeconds * 1000));
}

// c10's errors carry a C++ stack trace in what(); a user needs the message.
std::string messageOf(const std::exception& error) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&error)) return c10->what_without_backtrace();
  return error.what();
}

// Meeting the others takes two waits: for the store, then (Gloo's full mesh) for every rank's address in it.
[[noreturn]] void failedToMeet(const ProcessGroupOptions& options, const std::exception& error) {
  throw std::runtime_error("distributed: rank " + std::to_string(options.rank) + " could not meet the other " +
                           std::to_string(options.worldSize - 1) + " rank(s) at " + options.masterAddr + ":" +
                           std::to_string(options.masterPort) + " within " + range::jsNumber(options.timeoutSeconds) +
                           " s: " + messageOf(error));
}

// The store every rank meets in: rank 0 hosts it, or torchrun's agent does (then all connect, under its prefix),
// as torch.distributed's env:// rendezvous does.
c10::intrusive_ptr<c10d::Store> rendezvous(const ProcessGroupOptions& options) {
  c10d::TCPStoreOptions store;
  store.port = static_cast<std::uint16_t>(options.masterPort);
  store.isServer = options.rank == 0 && !options.agentStore;
  store.numWorkers = static_cast<std::size_t>(options.worldSize);
  store.waitWorkers = !options.agentStore;
  store.timeout = timeoutOf(options);
  c10::intrusive_ptr<c10d::Store> tcp;
  try {
    tcp = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, store);
  } catch (const std::exception& error) {
    failedToMeet(options, error);
  }
  const std::string prefix =
      options.agentStore ? "/worker/attempt_" + std::to_string(options.restartCount) : std::string("torch-unet");
  return c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
}

// How long the search for the lost ranks may take: it runs after a failure, and must not become a hang of its own.
constexpr auto kDiagnosis = std::chrono::milliseconds(3000);

// Which ranks are gone, once a collective has failed: every rank whose collective failed says so in the store and
// looks, for a few seconds, for the others' word; those that never give it are lost. A store that cannot be reached
// is rank 0's loss (it hosts the store) or the network's.
std::string askStore(c10d::Store& store, const ProcessGroupOptions& options) {
  const auto key = [](int64_t rank) { return "failed/" + std::to_string(rank); };
  try {
    store.set(key(options.rank), std::vector<uint8_t>{1});
    const auto deadline = std::chrono::steady_clock::now() + std::min(timeoutOf(options), kDiagnosis);
    std::vector<int64_t> silent;
    do {
      silent.clear();
      for (int64_t rank = 0; rank < options.worldSize; ++rank) {
        if (rank != options.rank && !store.check({key(rank)})) silent.push_back(rank);
      }
      if (silent.empty()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    std::string names;
    for (const auto rank : silent) names += (names.empty() ? "" : ", ") + std::to_string(rank);
    return (silent.size() == 1 ? "rank " : "ranks ") + names + " stopped answering";
  } catch (const std::exception&) {
    return options.rank == 0 ? "the rendezvous store is gone"
                             : "rank 0 (which hosts the rendezvous) cannot be reached: gone, or the network is";
  }
}

// askStore on a thread of its own, given up after twice its own deadline: over a link that died silently a store
// request can wait for TCP's own timeouts. The thread, if still waiting, is left to end with the process.
std::string lostRanks(const c10::intrusive_ptr<c10d::Store>& store, const ProcessGroupOptions& options) {
  auto answer = std::make_shared<std::promise<std::string>>();
  auto future = answer->get_future();
  std::thread([store, options, answer] { answer->set_value(askStore(*store, options)); }).detach();
  if (future.wait_for(2 * kDiagnosis) == std::future_status::ready) return future.get();
  return options.rank == 0 ? "the other ranks do not answer"
                           : "rank 0 (which hosts the rendezvous) does not answer: gone, or the network is";
}

class C10dPending : public ProcessGroup::Pending {
 public:
  C10dPending(c10::intrusive_ptr<c10d::Work> work, std::string what, std::function<std::string()> lost)
      : work_(std::move(work)), what_(std::move(what)), lost_(std::move(lost)) {}
  void wait() override {
    try {
      work_->wait();
    } catch (const std::exception& error) {
      const auto lost = lost_();
      throw std::runtime_error("distributed: " + what_ + " failed" + (lost.empty() ? "" : ": " + lost) + " (" +
                               messageOf(error) + ")");
    }
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  std::string what_;
  std::function<std::string()> lost_;
};

// One class for both backends: ProcessGroupGloo and ProcessGroupNCCL have the same collectives.
template <typename Backend>
class C10dGroup : public ProcessGroup {
 public:
  C10dGroup(ProcessGroupOptions options, c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<Backend> backend)
      : ProcessGroup(std::move(options)), store_(std::move(store)), backend_(std::move(backend)) {}

  std::unique_ptr<Pending> allreduceSum(std::vector<torch::Tensor> tensors) override {
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    return pending(backend_->allreduce(tensors, options), "allreduce");
  }

  std::unique_ptr<Pending> broadcast(std::vector<torch::Tensor> tensors, int64_t root) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    return pending(backend_->broadcast(tensors, options), "broadcast");
  }

  torch::Tensor allgather(const torch::Tensor& tensor) override {
    std::vector<torch::Tensor> inputs{tensor.contiguous()};
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int64_t rank = 0; rank < worldSize(); ++rank) outputs[0].push_back(torch::empty_like(inputs[0]));
    pending(backend_->allgather(outputs, inputs), "allgather")->wait();
    return torch::stack(outputs[0]);
  }

  void barrier() override { pending(backend_->barrier(), "barrier")->wait(); }

 private:
  std::unique_ptr<Pending> pending(c10::intrusive_ptr<c10d::Work> work, const char* what) {
    return std::make_unique<C10dPending>(std::move(work), what, [this] { return lostRanks(store_, options_); });
  }

  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<Backend> backend_;
};

#endif

}  // namespace

DistributedBackend parseDistributedBackend(const std::string& name, const std::string& path) {
  return range::parse(kBackends, name, path);
}

const char* distributedBackendName(DistributedBackend backend) {
  return range::nameOf(kBackends, backend);
}

void ProcessGroupOptions::validate(const std::string& path) const {
  range::integer(path + ".worldSize", worldSize, 1, 1 << 20);
  range::integer(path + ".rank", rank, 0, worldSize - 1);
  range::integer(path + ".masterPort", masterPort, 1, 65535);
  range::number(path + ".timeout", timeoutSeconds, 0, 86400, true);
  if (masterAddr.empty()) throw std::invalid_argument(path + ".masterAddr: expected a host name or address");
  range::integer(path + ".restartCount", restartCount, 0, 1 << 20);
}

bool distributedAvailable(DistributedBackend backend) {
#ifdef USE_C10D_GLOO
  if (backend == DistributedBackend::Gloo) return true;
#endif
#ifdef USE_C10D_NCCL
  if (backend == DistributedBackend::Nccl) return true;
#endif
  (void)backend;
  return false;
}

std::string distributedMissing(DistributedBackend backend) {
  if (distributedAvailable(backend)) return "";
  if (backend == DistributedBackend::Nccl) {
    return "this build has no NCCL process group: it needs a CUDA build of libtorch with c10d's NCCL and the NCCL "
           "headers, then a rebuild (npm run build)";
  }
  return "this build has no Gloo process group: libtorch's c10d needs the Gloo headers at build time (on "
         "Debian/Ubuntu: apt-get install libgloo-dev), then a rebuild (npm run build)";
}

std::shared_ptr<ProcessGroup> initProcessGroup(const ProcessGroupOptions& options) {
  options.validate();
  if (!distributedAvailable(options.backend)) {
    throw std::runtime_error("distributed: '" + std::string(distributedBackendName(options.backend)) +
                             "': " + distributedMissing(options.backend));
  }
#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
  auto store = rendezvous(options);
  const auto rank = static_cast<int>(options.rank), size = static_cast<int>(options.worldSize);
#endif
#ifdef USE_C10D_GLOO
  if (options.backend == DistributedBackend::Gloo) {
    auto gloo = c10d::ProcessGroupGloo::Options::create(timeoutOf(options));
    gloo->devices.push_back(options.interface.empty()
                                ? c10d::ProcessGroupGloo::createDefaultDevice()
                                : c10d::ProcessGroupGloo::createDeviceForInterface(options.interface));
    try {
      auto backend = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, gloo);
      return std::make_shared<C10dGroup<c10d::ProcessGroupGloo>>(options, store, backend);
    } catch (const std::exception& error) {
      failedToMeet(options, error);
    }
  }
#endif
#ifdef USE_C10D_NCCL
  if (options.backend == DistributedBackend::Nccl) {
    auto nccl = c10d::ProcessGroupNCCL::Options::create();
    nccl->timeout = timeoutOf(options);
    auto backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, nccl);
    return std::make_shared<C10dGroup<c10d::ProcessGroupNCCL>>(options, store, backend);
  }
#endif
  throw std::logic_error("initProcessGroup: unreachable");
}

}  // namespace unet

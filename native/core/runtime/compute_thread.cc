#include "core/runtime/compute_thread.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "core/options/range.h"
#include "core/runtime/backend.h"

namespace unet {

ComputeThread& ComputeThread::instance() {
  // Never destroyed: process exit must not wait for (or tear down under) a job that is still running.
  static auto* computeThread = new ComputeThread();
  return *computeThread;
}

namespace {

// OMP_NUM_THREADS when set (torchrun and our launcher split the cores between a node's workers with it), else
// every core this process may run on: libgomp may start with one (980 -> 720 ms a step on 2 cores).
int64_t defaultThreads() {
  const char* text = std::getenv("OMP_NUM_THREADS");
  char* end = nullptr;
  const long long value = text ? std::strtoll(text, &end, 10) : 0;
  if (text && end != text && *end == '\0' && value >= 1 && value <= 1024) return value;
  return availableCores();
}

long threadId() {
#ifdef __linux__
  return static_cast<long>(syscall(SYS_gettid));
#else
  return 0;
#endif
}

// The OpenMP runtime that libtorch runs on, if any (libgomp, or libomp/libiomp5 through their GOMP entry points),
// reached through weak symbols: the addon is not built with OpenMP, so an `omp parallel` of its own would run
// serially, and linking a runtime of its own could start a second thread pool beside libtorch's.
extern "C" {
void GOMP_parallel(void (*body)(void*), void* data, unsigned threads, unsigned flags) __attribute__((weak));
int omp_get_thread_num() __attribute__((weak));
}

// The thread ids of this thread's OpenMP team (the threads libtorch's parallel regions run on), this thread
// first; only this thread where there is no OpenMP runtime.
std::vector<long> teamIds(long self, int64_t threads) {
  std::vector<long> ids(static_cast<size_t>(threads), self);
  if (GOMP_parallel && omp_get_thread_num) {
    GOMP_parallel(
        [](void* data) {
          auto& ids = *static_cast<std::vector<long>*>(data);
          const auto at = static_cast<size_t>(omp_get_thread_num());
          if (at < ids.size()) ids[at] = threadId();
        },
        &ids, 0, 0);
  }
  std::vector<long> team{self};
  for (const long id : ids)
    if (id != self) team.push_back(id);
  return team;
}

}  // namespace

ComputeThread::ComputeThread() : requested_(defaultThreads()) {
  std::thread([this] { loop(); }).detach();
  std::unique_lock<std::mutex> lock(mutex_);
  applied_.wait(lock, [this] { return set_ == requested_; });
}

void ComputeThread::post(std::function<void()> job, std::function<void()> then) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.emplace_back(std::move(job), std::move(then));
  }
  ready_.notify_one();
}

void ComputeThread::setThreads(int64_t threads) {
  range::integer("threads", threads, 1, 1024);
  std::unique_lock<std::mutex> lock(mutex_);
  requested_ = threads;
  ready_.notify_one();
  if (!running_) applied_.wait(lock, [this, threads] { return set_ == threads || requested_ != threads; });
}

int64_t ComputeThread::threads() {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_;
}

void ComputeThread::setNice(int64_t nice) {
  range::integer("nice", nice, -20, 19);
#ifdef __linux__
  std::lock_guard<std::mutex> lock(mutex_);
  for (const long id : team_) {
    // A team thread that has ended is no longer there to set (ESRCH).
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(id), static_cast<int>(nice)) != 0 && errno != ESRCH) {
      const int error = errno;
      const char* hint = error == EACCES || error == EPERM ? "; lowering the nice value needs CAP_SYS_NICE" : "";
      throw std::runtime_error("nice: the system refused " + std::to_string(nice) + " for the compute threads (" +
                               std::strerror(error) + hint + ")");
    }
  }
  nice_ = static_cast<int>(nice);
#else
  throw std::runtime_error("nice: the compute threads' nice value is set on Linux only");
#endif
}

int64_t ComputeThread::nice() {
#ifdef __linux__
  std::lock_guard<std::mutex> lock(mutex_);
  errno = 0;
  const int value = getpriority(PRIO_PROCESS, static_cast<id_t>(team_.front()));
  return errno == 0 ? value : 0;
#else
  return 0;
#endif
}

void ComputeThread::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return !queue_.empty() || requested_ != set_; });
    if (requested_ != set_) {
      const int64_t threads = requested_;
      lock.unlock();
      at::set_num_threads(static_cast<int>(threads));
      const int64_t readBack = at::get_num_threads();
      auto team = teamIds(threadId(), readBack);
      lock.lock();
      set_ = threads;
      threads_ = readBack;
      // Earlier teams' threads stay known: the OpenMP runtime keeps them, idle, and may take them back.
      for (const long id : team)
        if (std::find(team_.begin(), team_.end(), id) == team_.end()) team_.push_back(id);
#ifdef __linux__
      if (nice_)
        for (const long id : team_) setpriority(PRIO_PROCESS, static_cast<id_t>(id), *nice_);
#endif
      applied_.notify_all();
      continue;
    }
    auto [job, then] = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    lock.unlock();
    job();
    lock.lock();
    running_ = false;
    if (then) {
      lock.unlock();
      then();
      lock.lock();
    }
  }
}

}  // namespace unet

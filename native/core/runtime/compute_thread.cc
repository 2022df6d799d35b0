#include "core/runtime/compute_thread.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

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

void ComputeThread::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return !queue_.empty() || requested_ != set_; });
    if (requested_ != set_) {
      const int64_t threads = requested_;
      lock.unlock();
      at::set_num_threads(static_cast<int>(threads));
      const int64_t readBack = at::get_num_threads();
      lock.lock();
      set_ = threads;
      threads_ = readBack;
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

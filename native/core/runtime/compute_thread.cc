#include "core/runtime/compute_thread.h"

namespace unet {

ComputeThread& ComputeThread::instance() {
  // Never destroyed: process exit must not wait for (or tear down under) a job that is still running.
  static auto* computeThread = new ComputeThread();
  return *computeThread;
}

ComputeThread::ComputeThread() : thread_([this] { loop(); }) {
  thread_.detach();
}

void ComputeThread::run(std::function<void()> job) {
  std::packaged_task<void()> task(std::move(job));
  auto done = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  done.get();
}

void ComputeThread::loop() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !queue_.empty(); });
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace unet

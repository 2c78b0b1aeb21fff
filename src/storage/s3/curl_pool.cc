#include "storage/s3/curl_pool.h"

namespace summit::storage::s3 {

namespace {
std::once_flag g_curl_init;
}

CurlPool::CurlPool(size_t max_idle) : max_idle_(max_idle) {
  // curl_global_init is not thread-safe; do it once before any handle exists.
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlPool::Lease::~Lease() {
  if (handle_ && pool_) pool_->Release(std::move(handle_));
}

Result<CurlPool::Lease> CurlPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      CurlPtr h = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(h));
    }
  }
  CurlPtr h(curl_easy_init());
  if (!h) return Fail(ErrorCode::kInternal, "curl_easy_init failed (out of memory?)");
  return Lease(this, std::move(h));
}

void CurlPool::Release(CurlPtr handle) {
  curl_easy_reset(handle.get());
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(handle));
}

}  // namespace summit::storage::s3

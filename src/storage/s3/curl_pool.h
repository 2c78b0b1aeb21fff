// A pool of reusable libcurl easy handles, so that requests to one endpoint reuse their
// TCP/TLS connections (each easy handle keeps its own connection cache).
//
// Invariant: a handle is used by one thread at a time; Acquire hands it out exclusively and
// the Lease returns it on destruction (after curl_easy_reset, which keeps live connections).
// Thread-safety: Acquire and the Lease destructor are safe for concurrent use.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <vector>

#include "core/result.h"

namespace summit::storage::s3 {

// Owns one CURL* (RAII).
struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

// Owns one curl_slist (RAII).
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

class CurlPool {
 public:
  // Keeps at most `max_idle` idle handles; more may be in use at once.
  explicit CurlPool(size_t max_idle);
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  class Lease {
   public:
    Lease(CurlPool* pool, CurlPtr handle) : pool_(pool), handle_(std::move(handle)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    ~Lease();
    CURL* get() const { return handle_.get(); }
    // Drops the handle instead of returning it (after a transport error, its connection may
    // be in an unknown state).
    void Discard() { handle_.reset(); }

   private:
    CurlPool* pool_;
    CurlPtr handle_;
  };

  // An idle handle, or a new one. Fails with kInternal when curl cannot allocate one.
  Result<Lease> Acquire();

 private:
  void Release(CurlPtr handle);

  size_t max_idle_;
  std::mutex mu_;
  std::vector<CurlPtr> idle_;
};

}  // namespace summit::storage::s3

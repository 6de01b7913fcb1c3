// The service-wide semaphore per origin: one per origin while referenced,
// shared by every holder, gone with the last reference.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "origin_semaphores.hpp"

using asyncfetch::OriginSemaphores;

TEST_CASE("origin semaphores: one per origin, with the configured permits", "[origin_semaphores]") {
  OriginSemaphores o(2);
  auto a1 = o.get("http://a:80");
  auto a2 = o.get("http://a:80");
  auto b = o.get("http://b:80");
  CHECK(a1 == a2);
  CHECK(a1 != b);
  CHECK(o.size() == 2);
  CHECK(a1->available() == 2);
  auto p1 = a1->try_acquire();
  auto p2 = a2->try_acquire();
  CHECK(p1.has_value());
  CHECK(p2.has_value());
  CHECK_FALSE(a1->try_acquire().has_value());  // shared: two permits in all for a
  CHECK(b->try_acquire().has_value());
}

TEST_CASE("origin semaphores: an origin is dropped with its last reference", "[origin_semaphores]") {
  OriginSemaphores o(1);
  auto a = o.get("http://a:80");
  {
    auto again = o.get("http://a:80");
    CHECK(o.size() == 1);
  }
  CHECK(o.size() == 1);
  a.reset();
  CHECK(o.size() == 0);
  // Many origins come and go: the map holds only those referenced.
  std::vector<std::shared_ptr<runtime::Semaphore>> held;
  for (int i = 0; i < 1000; ++i) {
    auto s = o.get("http://h" + std::to_string(i) + ":80");
    if (i % 100 == 0) held.push_back(s);
  }
  CHECK(o.size() == 10);
  held.clear();
  CHECK(o.size() == 0);
}

TEST_CASE("origin semaphores: a reference may outlive the registry", "[origin_semaphores]") {
  std::shared_ptr<runtime::Semaphore> kept;
  {
    OriginSemaphores o(3);
    kept = o.get("http://a:80");
  }
  CHECK(kept->available() == 3);
  kept.reset();  // its deleter finds the registry gone
}

TEST_CASE("origin semaphores: threads getting and dropping the same origins agree", "[origin_semaphores]") {
  OriginSemaphores o(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&o, t] {
      for (int i = 0; i < 2000; ++i) {
        auto s = o.get("http://h" + std::to_string((i + t) % 7) + ":80");
        auto p = s->try_acquire();
        (void)p;
      }
    });
  }
  auto held = o.get("http://h0:80");  // one stays referenced throughout
  for (auto& th : threads) th.join();
  CHECK(o.size() == 1);
  CHECK(o.get("http://h0:80") == held);
}

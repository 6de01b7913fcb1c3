// HostLanes: which URL of a fan-out starts next when fetches are capped per
// origin. Pure bookkeeping, no I/O, no waiting: the fan-out serialises the
// calls and owns the semaphores.
//
// The URLs are grouped into lanes by key (their origin). A lane with a cap has
// at most that many URLs started and not finished; the lane of key "" (URLs
// that do not parse) has none. The next URL to start is the first, in input
// order, of the lanes that have room and that the caller admits (the origin's
// service-wide permit was free): a lane at its cap or whose origin is busy
// elsewhere never holds up the others. A lane that has room but was not
// admitted can be handed to one caller to watch (to wait for the origin's
// permit), so that somebody is there when it frees.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace asyncfetch {

class HostLanes {
 public:
  // keys[i]: URL i's lane; `cap`: most started and not finished per lane (0: none).
  HostLanes(const std::vector<std::string>& keys, unsigned cap);

  std::size_t lanes() const noexcept { return lanes_.size(); }
  const std::string& key(std::size_t lane) const { return lanes_[lane].key; }

  struct Next {
    enum class Kind {
      start,  // start `url` (of `lane`): it counts as started
      watch,  // wait for the permit of `lane`'s origin, then take_watched(lane)
      wait,   // nothing to do until a URL finishes or a watched permit comes
      done,   // every URL has been started
    };
    Kind kind = Kind::done;
    std::size_t url = 0;
    std::size_t lane = 0;
  };

  // `admit(lane)` is asked for the lanes with room, in the order of their next
  // URL, until one says yes (it may take the origin's permit as it does).
  template <class Admit>
  Next next(Admit&& admit) {
    std::optional<std::size_t> blocked;
    for (auto it = ready_.begin(); it != ready_.end(); ++it) {
      const std::size_t lane = it->second;
      if (admit(lane)) return start(it);
      if (!blocked && !lanes_[lane].watched) blocked = lane;
    }
    if (blocked) {
      lanes_[*blocked].watched = true;
      return {Next::Kind::watch, 0, *blocked};
    }
    return {left_ == 0 ? Next::Kind::done : Next::Kind::wait, 0, 0};
  }

  // The watcher of `lane` has the origin's permit: the lane's next URL, started,
  // or none when the lane has no URL left or no room by now.
  std::optional<std::size_t> take_watched(std::size_t lane);

  // A started URL of `lane` finished. True when the lane is done with: no URL
  // left to start, none in flight.
  bool finished(std::size_t lane);

 private:
  struct Lane {
    std::string key;
    std::vector<std::size_t> urls;  // in input order
    std::size_t taken = 0;          // urls[0..taken) started
    unsigned in_flight = 0;
    bool watched = false;
  };
  using Ready = std::set<std::pair<std::size_t, std::size_t>>;  // (next URL, lane)

  bool has_room(const Lane& l) const noexcept { return cap_ == 0 || l.key.empty() || l.in_flight < cap_; }
  bool wants(const Lane& l) const noexcept { return l.taken < l.urls.size() && has_room(l); }
  Next start(Ready::iterator it);

  std::vector<Lane> lanes_;
  // The lanes with a URL left and room. A lane's entry is its next URL, so the
  // set's order is input order; it holds every lane at most once.
  Ready ready_;
  std::size_t left_ = 0;  // URLs not started
  const unsigned cap_;
};

}  // namespace asyncfetch

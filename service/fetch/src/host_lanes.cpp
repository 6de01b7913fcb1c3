#include "host_lanes.hpp"

#include <unordered_map>

namespace asyncfetch {

HostLanes::HostLanes(const std::vector<std::string>& keys, unsigned cap) : left_(keys.size()), cap_(cap) {
  std::unordered_map<std::string, std::size_t> lane_of;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto [it, fresh] = lane_of.try_emplace(keys[i], lanes_.size());
    if (fresh) lanes_.push_back(Lane{keys[i], {}, 0, 0, false});
    lanes_[it->second].urls.push_back(i);
  }
  for (std::size_t l = 0; l < lanes_.size(); ++l) ready_.emplace(lanes_[l].urls.front(), l);
}

HostLanes::Next HostLanes::start(Ready::iterator it) {
  const std::size_t lane = it->second;
  Lane& l = lanes_[lane];
  ready_.erase(it);
  const std::size_t url = l.urls[l.taken++];
  ++l.in_flight;
  --left_;
  if (wants(l)) ready_.emplace(l.urls[l.taken], lane);
  return {Next::Kind::start, url, lane};
}

std::optional<std::size_t> HostLanes::take_watched(std::size_t lane) {
  Lane& l = lanes_[lane];
  l.watched = false;
  if (!wants(l)) return std::nullopt;
  return start(ready_.find({l.urls[l.taken], lane})).url;
}

bool HostLanes::finished(std::size_t lane) {
  Lane& l = lanes_[lane];
  --l.in_flight;
  if (wants(l)) ready_.emplace(l.urls[l.taken], lane);  // back from its cap (a no-op when it never left)
  return l.taken == l.urls.size() && l.in_flight == 0;
}

}  // namespace asyncfetch

#include "events/hub.hpp"

#include <algorithm>
#include <vector>

namespace gw::events {

Hub::Subscription::Subscription(Subscription&& o) noexcept
    : state_(std::move(o.state_)), id_(o.id_) {
  o.state_.reset();
}

Hub::Subscription& Hub::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    state_ = std::move(o.state_);
    id_ = o.id_;
    o.state_.reset();
  }
  return *this;
}

Hub::Subscription::~Subscription() {
  reset();
}

void Hub::Subscription::reset() {
  if (auto state = state_.lock()) state->remove(id_);
  state_.reset();
}

bool SessionFilter::matches(const std::string& session_id) const {
  return !only || std::find(only->begin(), only->end(), session_id) != only->end();
}

Hub::Subscription Hub::subscribe(std::string user_id, SessionFilter sessions,
                                 std::weak_ptr<Subscriber> subscriber) {
  Subscription s;
  std::lock_guard lock(state_->mutex);
  s.state_ = state_;
  s.id_ = state_->next_id++;
  state_->entries.push_back(
      {s.id_, std::move(user_id), std::move(sessions), std::move(subscriber)});
  return s;
}

void Hub::publish(const std::string& user_id, const std::string& session_id,
                  const Message& message) {
  publish_local(user_id, session_id, message);
  if (forward_) forward_(user_id, session_id, message);
}

void Hub::publish_local(const std::string& user_id, const std::string& session_id,
                        const Message& message) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard lock(state_->mutex);
    auto& entries = state_->entries;
    for (auto it = entries.begin(); it != entries.end();) {
      if (it->user_id == user_id && it->sessions.matches(session_id)) {
        auto sub = it->subscriber.lock();
        if (!sub) {
          it = entries.erase(it);
          continue;
        }
        targets.push_back(std::move(sub));
      }
      ++it;
    }
  }
  for (const auto& t : targets) t->deliver(message);
}

std::size_t Hub::subscriber_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->entries.size();
}

void Hub::State::remove(std::uint64_t id) {
  std::lock_guard lock(mutex);
  entries.remove_if([id](const Entry& e) { return e.id == id; });
}

}  // namespace gw::events

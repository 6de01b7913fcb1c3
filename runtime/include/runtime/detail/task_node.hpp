// A started task as the loop and its TaskGroup see it: something they can
// cancel, linked (intrusively: no allocation) into their lists of live tasks.
#pragma once

namespace runtime::detail {

struct TaskNode;

struct TaskLinks {
  TaskNode* prev = nullptr;
  TaskNode* next = nullptr;
};

struct TaskNode {
  TaskLinks in_loop;   // the loop's registry of live tasks
  TaskLinks in_group;  // its TaskGroup's running children, if it has a group
  virtual void cancel() noexcept = 0;

 protected:
  ~TaskNode() = default;
};

// A list of tasks through one of their link pairs. Not thread-safe: the
// owner's mutex guards it.
template <TaskLinks TaskNode::*Links>
class TaskList {
 public:
  bool empty() const noexcept { return head_ == nullptr; }

  void push_front(TaskNode* t) noexcept {
    TaskLinks& l = t->*Links;
    l.prev = nullptr;
    l.next = head_;
    if (head_) (head_->*Links).prev = t;
    head_ = t;
  }

  void remove(TaskNode* t) noexcept {
    TaskLinks& l = t->*Links;
    (l.prev ? (l.prev->*Links).next : head_) = l.next;
    if (l.next) (l.next->*Links).prev = l.prev;
    l.prev = l.next = nullptr;
  }

  template <class F>
  void for_each(F f) const {
    for (TaskNode* t = head_; t; t = (t->*Links).next) f(*t);
  }

 private:
  TaskNode* head_ = nullptr;
};

}  // namespace runtime::detail

// Everything in one include. Each primitive also has a header of its own.
#pragma once

#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/event.hpp"
#include "runtime/future.hpp"
#include "runtime/gather.hpp"
#include "runtime/lock.hpp"
#include "runtime/queue.hpp"
#include "runtime/race.hpp"
#include "runtime/run.hpp"
#include "runtime/semaphore.hpp"
#include "runtime/shield.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task.hpp"
#include "runtime/task_group.hpp"
#include "runtime/timeout.hpp"
#include "runtime/to_thread.hpp"

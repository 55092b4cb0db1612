// A recorded capture (tests/fixtures) opened for replay as hapctl opens one:
// its tasks and their syscall ABIs seeded from meta.json, an aggregate ready.
// One place for what the replay tests share; each drains into its own sink.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "replay_source.h"
#include "run_aggregate.h"

namespace hap::test {

struct ReplayedCapture {
    TaskTable tasks;
    RunAggregate agg{tasks};  // refers to tasks: held behind a unique_ptr, never moved
    std::unique_ptr<ReplaySource> src;
};

// Opens `dir` and seeds; R is ReplayedCapture or a test's own struct derived
// from it (with the names it collects). Nothing is drained yet.
template <class R = ReplayedCapture>
std::unique_ptr<R> open_replay(const std::string& dir) {
    auto r = std::make_unique<R>();
    auto src = ReplaySource::open(dir);
    REQUIRE(src.ok());
    r->src = std::move(*src);
    r->src->seed_tasks(r->tasks);
    r->src->seed_abis(r->agg.abis());
    return r;
}

// Opens `dir`, seeds and drains every record into the aggregate.
template <class R = ReplayedCapture>
std::unique_ptr<R> replay_capture(const std::string& dir) {
    auto r = open_replay<R>(dir);
    r->src->drain(r->agg);
    return r;
}

}  // namespace hap::test

// Readiness probes of a workload (ready.probe = "http" or "tcp"): a GET from
// the client network namespace answering the expected status, or a TCP connect. The probe is a plain socket client on a thread of its own
// that has joined the namespace with setns(): no shell, no curl, and the
// namespace switch never touches hapctl's other threads.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "error.h"
#include "workload.h"

namespace hap {

// The status code of an HTTP/1.x status line ("HTTP/1.1 200 OK"); nullopt
// when `head` does not start with one.
std::optional<int> parse_http_status_line(const std::string& head);

// One GET of `path` at ep (inside ep.netns when set, by /var/run/netns/NAME).
// Returns the status code, or why there was none.
Expected<int> http_get_status(const Endpoint& ep, const std::string& path, std::chrono::milliseconds timeout);

// Calls attempt() every 200 ms until it returns true, the timeout passes or
// an interrupt comes: the loop of every readiness probe.
bool probe_until(std::chrono::seconds timeout, const std::function<bool()>& attempt);

// Probes until a GET of `path` answers `status` or the timeout passes (or an interrupt).
bool wait_http_status(const Endpoint& ep, const std::string& path, int status, std::chrono::seconds timeout);

// One TCP connect to ep (inside ep.netns when set), closed at once.
Status tcp_connect(const Endpoint& ep, std::chrono::milliseconds timeout);

// Probes until a TCP connect succeeds or the timeout passes (or an interrupt).
bool wait_tcp_connect(const Endpoint& ep, std::chrono::seconds timeout);

}  // namespace hap

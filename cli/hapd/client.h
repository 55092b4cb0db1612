// hapctl's side of hapd: when the daemon's socket exists, a measurement is
// sent there and its progress and result come back to be printed exactly as
// an in-process run prints them.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/measurement.h"

namespace hap::hapd {

// $HAP_SOCKET, else /run/hap/hapd.sock.
std::string socket_path();

// Runs `req` through hapd if its socket exists and answers; std::nullopt means
// "no daemon here, run in-process". Errors from hapd come back as the same
// UserError (message, hint, exit code) an in-process run would throw.
// SIGINT/SIGTERM while waiting cancel the job on the daemon.
std::optional<MeasureResult> measure_via_hapd(const MeasureRequest& req, bool wait,
                                              const std::function<void(const std::string&)>& progress);

}  // namespace hap::hapd

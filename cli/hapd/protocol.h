// hapd's wire protocol (schemas/hapd-protocol.md): one JSON object per line,
// each carrying the protocol version "v" and a "type". This file is the only
// place that turns bytes from a peer into a request, so it is strict: unknown
// fields, wrong types, oversize lines and out-of-range values are refused with
// a message that names the field. It is pure (no I/O), so it can be fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/measurement.h"
#include "error.h"

namespace hap::hapd {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxLineBytes = 64 * 1024;  // a request line longer than this is refused
inline constexpr const char* kDefaultSocket = "/run/hap/hapd.sock";

enum class RequestType { Hello, Measure, Status, Cancel };

struct Request {
    RequestType type = RequestType::Hello;
    std::string client;           // hello: free text, for the log
    MeasureRequest measure;       // measure: the same fields as hapctl measure
    bool wait = true;             // measure: false = answer "busy" instead of queueing
    std::optional<int64_t> job;   // cancel: another connection's job ("" = this connection's)
    int signal = 0;               // cancel: the client's signal, echoed in the error message
};

// Parses and validates one request line (without its trailing newline).
Expected<Request> parse_request(std::string_view line);

// Responses, one JSON line each (no trailing newline).
std::string hello_line(const std::string& server);
std::string queued_line(int64_t job, size_t ahead);
std::string started_line(int64_t job);
std::string progress_line(const std::string& text);
std::string result_line(const MeasureResult& r);
std::string error_line(const std::string& message, const std::string& hint, int exit_code);
std::string busy_line(size_t ahead, const std::string& message, const std::string& hint);

// Client side: MeasureRequest -> request line, and the result back.
std::string measure_request_line(const MeasureRequest& req, bool wait);
nlohmann::json result_to_json(const MeasureResult& r);
Expected<MeasureResult> result_from_json(const nlohmann::json& j);

}  // namespace hap::hapd

// The error policy (README, "Developers"): expected failures travel as values
// (Expected<T>, carrying errno and context); the one user-facing failure is
// UserError, caught only in main and printed as one line plus a hint.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace hap {

struct Error {
    std::string message;  // what failed, with the object it failed on
    int err = 0;          // errno when the cause was a system call, else 0

    std::string describe() const {
        return err ? message + ": " + std::strerror(err) : message;
    }
};

inline Error errno_error(std::string message) { return Error{std::move(message), errno}; }

// Minimal std::expected stand-in (C++20 has none).
template <class T>
class Expected {
public:
    Expected(T value) : v_(std::move(value)) {}
    Expected(Error error) : v_(std::move(error)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    T* operator->() { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class Expected<void> {
public:
    Expected() = default;
    Expected(Error error) : error_(std::move(error)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool ok_ = true;
};
using Status = Expected<void>;

// Exit codes follow perf/trace-cmd habits: 1 failure, 2 usage, 130 interrupted.
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2, kExitInterrupted = 130 };

class UserError : public std::runtime_error {
public:
    UserError(std::string message, std::string hint = {}, int exit_code = kExitFailure)
        : std::runtime_error(std::move(message)), hint_(std::move(hint)), exit_code_(exit_code) {}
    const std::string& hint() const { return hint_; }
    int exit_code() const { return exit_code_; }

private:
    std::string hint_;
    int exit_code_;
};

// Turns an Expected failure into the user-facing error at the layer that knows
// what the user should do about it.
template <class T>
T& require(Expected<T>& r, const std::string& hint = {}) {
    if (!r) throw UserError(r.error().describe(), hint);
    return r.value();
}
inline void require(const Status& s, const std::string& hint = {}) {
    if (!s) throw UserError(s.error().describe(), hint);
}

}  // namespace hap

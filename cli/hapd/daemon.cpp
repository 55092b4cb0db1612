#include "daemon.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "engine/capture.h"
#include "engine/measurement.h"
#include "files.h"
#include "interrupt.h"
#include "leftovers.h"
#include "line_io.h"
#include "peer.h"
#include "protocol.h"
#include "store.h"
#include "trace_session.h"

namespace hap::hapd {
namespace {

// SIGTERM/SIGINT stop the daemon; the engine's own flag (SIGHUP's handler,
// installed by install_interrupt_handlers) is what makes a running session
// unwind, so stopping raises it too. A session is cancelled alone by sending
// SIGHUP to the thread that runs it: its blocking calls return EINTR.
std::atomic<int> g_stop{0};
extern "C" void on_stop(int sig) {
    g_stop.store(sig);
    ::raise(SIGHUP);
}

void log(const std::string& line) { std::cerr << "hapd: " << line << std::endl; }

struct Job {
    int64_t id = 0;
    Peer peer;
    MeasureRequest req;
    pthread_t thread{};
    std::atomic<bool> cancel{false};
    std::atomic<bool> client_gone{false};
    int cancel_signal = 0;
};

class Daemon {
public:
    explicit Daemon(DaemonOptions o) : opt_(std::move(o)), hap_gid_(group_id(opt_.group)) {}
    int run();

private:
    void start_up();
    void open_socket();
    void serve(int fd);
    void handle_measure(int fd, LineReader& reader, const Peer& peer, Request r);
    void handle_cancel(int fd, const Peer& peer, const Request& r);
    std::string status_line();
    void cancel_active_locked(int sig);
    void end_interrupt_locked();

    DaemonOptions opt_;
    std::optional<gid_t> hap_gid_;
    std::string active_file_;
    int listen_fd_ = -1, lock_fd_ = -1;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<Job>> queue_;
    std::shared_ptr<Job> active_;
    int64_t next_job_ = 1;
    uint64_t served_ = 0, refused_ = 0, sessions_ = 0;

    std::mutex conn_mu_;
    std::list<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> conns_;
    std::atomic<int> open_conns_{0};
};

void Daemon::start_up() {
    if (::geteuid() != 0) throw UserError("hapd needs root: it owns tracefs and starts container runtimes", "run it as root (scripts/systemd/hapd.service)");
    const std::string tracing_dir = require_tracefs();
    if (auto st = make_dirs(opt_.state_dir); !st) throw UserError(st.error().describe());
    const std::string lock = opt_.state_dir + "/hapd.lock";
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
        throw UserError("another hapd already owns " + opt_.state_dir, "stop it first (systemctl stop hapd)");
    // What a crashed hapd (or hapctl) left: tracefs instances and knobs,
    // containers, namespaces, and the run it was writing.
    for (const auto& l : TraceSession::clean_stale(tracing_dir, opt_.state_dir)) log("start-up: " + l);
    for (const auto& l : clean_runner_leftovers(opt_.state_dir)) log("start-up: " + l);
    active_file_ = opt_.state_dir + "/hapd-active-db";
    if (auto db = read_file(active_file_); db) {
        const std::string path = trim(*db);
        auto store = Store::open(path);
        if (store)
            log(fmt::format("start-up: marked {} run(s) of a dead hapd as aborted in {}", (*store)->recovered_aborted(), path));
        else
            log("start-up: cannot open " + path + " to mark its unfinished run aborted: " + store.error().describe());
        ::unlink(active_file_.c_str());
    }
}

void Daemon::open_socket() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (opt_.socket_path.size() >= sizeof addr.sun_path) throw UserError("socket path too long: " + opt_.socket_path);
    std::strcpy(addr.sun_path, opt_.socket_path.c_str());
    const auto dir = opt_.socket_path.substr(0, opt_.socket_path.rfind('/'));
    if (!dir.empty()) (void)make_dirs(dir);
    // The lock above says no other hapd runs, so a socket file here is stale.
    ::unlink(opt_.socket_path.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw UserError("socket: " + std::string(std::strerror(errno)));
    const mode_t old = ::umask(0117);  // born 0660: no window where others may connect
    const int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) throw UserError("cannot bind " + opt_.socket_path + ": " + std::strerror(errno));
    (void)::chown(opt_.socket_path.c_str(), 0, hap_gid_.value_or(0));
    (void)::chmod(opt_.socket_path.c_str(), 0660);
    if (::listen(listen_fd_, 64) != 0) throw UserError("listen: " + std::string(std::strerror(errno)));
    log(fmt::format("listening on {} (root{})", opt_.socket_path, hap_gid_ ? " and group " + opt_.group : " only"));
}

void Daemon::cancel_active_locked(int sig) {
    if (!active_) return;
    active_->cancel_signal = active_->cancel_signal ? active_->cancel_signal : sig;
    if (!active_->cancel.exchange(true)) ::pthread_kill(active_->thread, SIGHUP);
}

// The engine's interrupt flag belongs to the session that was cancelled;
// the next one starts clean unless the daemon itself is stopping.
void Daemon::end_interrupt_locked() {
    clear_interrupt();
    if (g_stop.load()) ::raise(SIGHUP);
}

std::string Daemon::status_line() {
    std::lock_guard lk(mu_);
    nlohmann::json q = nlohmann::json::array();
    auto desc = [](const Job& j) {
        return nlohmann::json{{"job", j.id}, {"uid", j.peer.uid}, {"pid", j.peer.pid}, {"runtime", j.req.runtime},
                              {"workload", j.req.workload}, {"reps", j.req.reps}};
    };
    for (const auto& j : queue_) q.push_back(desc(*j));
    return nlohmann::json{{"v", kProtocolVersion}, {"type", "status"}, {"active", active_ ? desc(*active_) : nlohmann::json(nullptr)},
                          {"queue", q}, {"served", served_}, {"refused", refused_}, {"sessions", sessions_},
                          {"pid", ::getpid()}}
        .dump();
}

void Daemon::handle_cancel(int fd, const Peer& peer, const Request& r) {
    if (!r.job) {
        write_line(fd, error_line("nothing to cancel on this connection", "give \"job\" to cancel another connection's job", kExitUsage));
        return;
    }
    std::lock_guard lk(mu_);
    std::shared_ptr<Job> j = active_ && active_->id == *r.job ? active_ : nullptr;
    for (const auto& q : queue_)
        if (q->id == *r.job) j = q;
    if (!j) {
        write_line(fd, error_line(fmt::format("no job {} is queued or running", *r.job), "", kExitFailure));
        return;
    }
    if (peer.uid != 0 && peer.uid != j->peer.uid) {
        write_line(fd, error_line(fmt::format("permission denied: job {} belongs to uid {}", j->id, j->peer.uid), "", kExitFailure));
        return;
    }
    if (j == active_) cancel_active_locked(r.signal);
    else {
        j->cancel_signal = r.signal;
        j->cancel = true;
    }
    cv_.notify_all();
    write_line(fd, nlohmann::json{{"v", kProtocolVersion}, {"type", "cancelled"}, {"job", j->id}}.dump());
}

void Daemon::handle_measure(int fd, LineReader& reader, const Peer& peer, Request r) {
    MeasureRequest& m = r.measure;
    for (const auto& [path, dir] : {std::pair{m.db_path, false}, std::pair{m.record_dir, true}}) {
        if (path.empty()) continue;
        if (auto st = peer_may_write(peer, path, dir); !st) {
            write_line(fd, error_line(st.error().describe(), "choose a --db / --record path in a directory you own", kExitFailure));
            return;
        }
    }
    // A Nabla image is read as root (packed, imported, run): only root names one.
    if (!m.nabla_images.empty() && peer.uid != 0) {
        write_line(fd, error_line("permission denied: only root may name a --nabla-image through hapd", "run hapctl as root, or with --no-daemon",
                                  kExitFailure));
        return;
    }
    // SQLite can die of SIGBUS on a full filesystem (its shared-memory index is
    // mapped): refuse a store with no room left rather than lose the daemon.
    {
        const std::string dir = m.db_path.substr(0, m.db_path.rfind('/') + 1);
        struct statvfs vfs {};
        if (::statvfs(dir.c_str(), &vfs) == 0 && static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize < (1u << 20)) {
            write_line(fd, error_line(fmt::format("database {}: disk full: less than 1 MiB free in {}", m.db_path, dir),
                                      "free some space, or choose another --db", kExitFailure));
            return;
        }
    }
    m.state_dir = opt_.state_dir;
    m.cache_dir = opt_.cache_dir;
    auto job = std::make_shared<Job>();
    job->peer = peer;
    job->req = m;
    size_t ahead;
    {
        std::lock_guard lk(mu_);
        ahead = queue_.size() + (active_ ? 1 : 0);
        if (!r.wait && ahead > 0) {
            ++refused_;
            write_line(fd, busy_line(ahead, fmt::format("hapd is busy: {} session(s) ahead", ahead),
                                     "try again later, or leave out --no-wait to queue"));
            return;
        }
        job->id = next_job_++;
        queue_.push_back(job);
    }
    log(fmt::format("job {}: {} {} x{} for {} (queued, {} ahead)", job->id, m.runtime, m.workload, m.reps, peer.describe(), ahead));
    if (!write_line(fd, queued_line(job->id, ahead))) job->client_gone = true;

    // Input while queued or running: "cancel", or end of file when the client died.
    auto watch_input = [&](int timeout_ms) {
        std::string line;
        for (;;) {
            auto res = reader.read_line(line, timeout_ms);
            if (res == LineReader::kTimeout) return;
            if (res != LineReader::kLine) {
                job->client_gone = true;
                return;
            }
            auto c = parse_request(line);
            if (c && c->type == RequestType::Cancel && !c->job) {
                std::lock_guard lk(mu_);
                if (job == active_) cancel_active_locked(c->signal);
                else {
                    job->cancel_signal = c->signal;
                    job->cancel = true;
                }
                return;
            }
            write_line(fd, error_line(c ? "only \"cancel\" is accepted while a job is queued or running" : c.error().describe(), "", kExitUsage));
        }
    };

    // Wait for our turn (FIFO).
    for (;;) {
        {
            std::unique_lock lk(mu_);
            const bool gone = job->client_gone || job->cancel || g_stop.load();
            if (gone) {
                std::erase(queue_, job);
                lk.unlock();
                cv_.notify_all();
                if (g_stop.load()) write_line(fd, error_line("hapd is shutting down", "try again once it is back", kExitFailure));
                else if (job->cancel) write_line(fd, error_line(fmt::format("interrupted by signal {}", job->cancel_signal), "", kExitInterrupted));
                log(fmt::format("job {}: left the queue ({})", job->id, job->client_gone ? "client gone" : job->cancel ? "cancelled" : "shutdown"));
                return;
            }
            if (!active_ && queue_.front() == job) {
                queue_.pop_front();
                active_ = job;
                job->thread = ::pthread_self();
                ++sessions_;
                break;
            }
            cv_.wait_for(lk, std::chrono::milliseconds(100));
        }
        watch_input(0);
    }

    log(fmt::format("job {}: started", job->id));
    write_line(fd, started_line(job->id));
    (void)write_file(active_file_, m.db_path + "\n");
    std::atomic<bool> done{false};
    std::thread watcher([&] {
        while (!done.load() && !job->client_gone) watch_input(100);
        if (job->client_gone && !done.load()) {
            std::lock_guard lk(mu_);
            if (job == active_) cancel_active_locked(SIGHUP);
        }
    });
    std::string final_line;
    try {
        auto result = run_measurement(m, [&](const std::string& line) {
            if (!job->client_gone && !write_line(fd, progress_line(line))) job->client_gone = true;
        });
        final_line = result_line(result);
        log(fmt::format("job {}: complete", job->id));
    } catch (const UserError& e) {
        std::string msg = e.what();
        if (e.exit_code() == kExitInterrupted && job->cancel_signal) msg = fmt::format("interrupted by signal {}", job->cancel_signal);
        if (e.exit_code() == kExitInterrupted && g_stop.load()) msg = fmt::format("interrupted: hapd stopped by signal {}", g_stop.load());
        final_line = error_line(msg, e.hint(), e.exit_code());
        log(fmt::format("job {}: {}{}", job->id, e.what(), job->client_gone ? " (client gone: run aborted)" : ""));
    } catch (const std::exception& e) {
        final_line = error_line(std::string("internal error: ") + e.what(), "", kExitFailure);
        log(fmt::format("job {}: internal error: {}", job->id, e.what()));
    }
    done = true;
    watcher.join();
    ::sched_yield();  // a SIGHUP sent to this thread is delivered by now
    ::unlink(active_file_.c_str());
    give_to_peer(peer, m.db_path);
    if (!m.record_dir.empty()) give_to_peer(peer, m.record_dir);
    {
        std::lock_guard lk(mu_);
        end_interrupt_locked();
        active_.reset();
        ++served_;
    }
    cv_.notify_all();
    if (!job->client_gone) write_line(fd, final_line);
}

void Daemon::serve(int fd) {
    auto peer = peer_of(fd);
    if (!peer) {
        write_line(fd, error_line("cannot read peer credentials: " + peer.error().describe(), "", kExitFailure));
        return;
    }
    if (auto st = admit(*peer, hap_gid_, opt_.group); !st) {
        log("refused " + peer->describe() + ": " + st.error().message);
        write_line(fd, error_line(st.error().message, "ask an administrator to add you to group " + opt_.group, kExitFailure));
        return;
    }
    LineReader reader(fd, kMaxLineBytes);
    for (;;) {
        std::string line;
        auto res = reader.read_line(line, 60000, [] { return g_stop.load() != 0; });
        if (res == LineReader::kEof || res == LineReader::kError) return;
        if (res == LineReader::kTimeout) {
            if (!g_stop.load()) write_line(fd, error_line("no request within 60 s", "", kExitUsage));
            return;
        }
        if (res == LineReader::kTooLong) {
            write_line(fd, error_line(fmt::format("bad request: line longer than {} bytes", kMaxLineBytes), "", kExitUsage));
            return;
        }
        auto req = parse_request(line);
        if (!req) {
            write_line(fd, error_line(req.error().describe(), "see schemas/hapd-protocol.md", kExitUsage));
            return;
        }
        switch (req->type) {
            case RequestType::Hello:
                write_line(fd, hello_line(std::string("hapd ") + HAP_VERSION));
                break;
            case RequestType::Status:
                write_line(fd, status_line());
                break;
            case RequestType::Cancel:
                handle_cancel(fd, *peer, *req);
                break;
            case RequestType::Measure:
                handle_measure(fd, reader, *peer, std::move(*req));
                return;  // one measurement per connection
        }
    }
}

int Daemon::run() {
    start_up();
    open_socket();
    while (!g_stop.load()) {
        pollfd p{listen_fd_, POLLIN, 0};
        int r = ::poll(&p, 1, 200);
        {
            std::lock_guard lk(mu_);
            if (!active_ && interrupted() && !g_stop.load()) clear_interrupt();  // a stray SIGHUP
        }
        {
            std::lock_guard lk(conn_mu_);
            for (auto it = conns_.begin(); it != conns_.end();) {
                if (it->second->load()) {
                    it->first.join();
                    it = conns_.erase(it);
                } else ++it;
            }
        }
        if (r <= 0) continue;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        if (open_conns_.load() >= opt_.max_connections) {
            write_line(fd, error_line(fmt::format("hapd serves at most {} connections at once", opt_.max_connections), "try again later", kExitFailure));
            ::close(fd);
            std::lock_guard lk(mu_);
            ++refused_;
            continue;
        }
        ++open_conns_;
        auto finished = std::make_shared<std::atomic<bool>>(false);
        std::lock_guard lk(conn_mu_);
        conns_.emplace_back(std::thread([this, fd, finished] {
            serve(fd);
            ::close(fd);
            --open_conns_;
            finished->store(true);
        }), finished);
    }
    log(fmt::format("stopping on signal {}", g_stop.load()));
    ::close(listen_fd_);
    ::unlink(opt_.socket_path.c_str());
    {
        std::lock_guard lk(mu_);
        cancel_active_locked(g_stop.load());
    }
    cv_.notify_all();
    for (auto& [t, f] : conns_) t.join();  // the running session unwinds: tracefs restored, sandbox removed
    log(fmt::format("stopped: {} session(s) served, {} refused busy", served_, refused_));
    return 0;
}

}  // namespace

int run_daemon(const DaemonOptions& opts) {
    install_interrupt_handlers();
    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM}) ::sigaction(sig, &sa, nullptr);
    Daemon d(opts);
    return d.run();
}

}  // namespace hap::hapd

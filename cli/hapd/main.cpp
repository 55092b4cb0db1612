// hapd: the tracer daemon. Owns tracefs, serves hapctl over a Unix socket.
#include <iostream>

#include <boost/program_options.hpp>

#include "daemon.h"
#include "error.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
    hap::hapd::DaemonOptions o;
    po::options_description desc("usage: hapd [options]\n\noptions");
    desc.add_options()("help,h", "this text")
        ("socket", po::value(&o.socket_path)->default_value(o.socket_path), "Unix socket to listen on")
        ("group", po::value(&o.group)->default_value(o.group), "group admitted besides root")
        ("state-dir", po::value(&o.state_dir)->default_value(o.state_dir), "crash-recovery state, runtime state")
        ("cache-dir", po::value(&o.cache_dir)->default_value(o.cache_dir), "workload images")
        ("max-connections", po::value(&o.max_connections)->default_value(o.max_connections), "connections served at once");
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
        if (vm.count("help")) {
            std::cout << desc << "\n";
            return 0;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "hapd: " << e.what() << "\nhint: hapd --help\n";
        return hap::kExitUsage;
    }
    try {
        return hap::hapd::run_daemon(o);
    } catch (const hap::UserError& e) {
        std::cerr << "hapd: " << e.what() << "\n";
        if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "hapd: internal error: " << e.what() << "\n";
        return hap::kExitFailure;
    }
}

// Boost.Program_options glue shared by the subcommands: parse, print --help,
// and turn parse errors into usage errors.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace hap::cli {

namespace po = boost::program_options;

// Returns false when --help was printed (the command should exit 0).
// Throws UserError(kExitUsage) on bad options.
bool parse_options(const std::string& command, const std::string& usage, po::options_description& desc,
                   const std::vector<std::string>& args, po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

std::string default_db_path();  // $HAP_DB, else hap.db

// "a, b, c": the names a --help line lists, from the same lists the runners
// and workloads accept, so help never falls behind them.
std::string joined(const std::vector<std::string>& names);

// --nabla-image's help, shared by measure and compare.
inline constexpr const char* kNablaImageHelp =
    "nabla, docker:runnc: the workload's unikernel image, [WORKLOAD=]SPEC (repeatable): a directory holding "
    "/NAME.nabla and image-config.json, a NAME.nabla file, or (docker:runnc) an image in the engine";

// The same values with every SPEC that names an existing path made absolute
// (hapd runs elsewhere), WORKLOAD= prefixes kept; engine references unchanged.
std::vector<std::string> absolute_nabla_images(const std::vector<std::string>& values);

}  // namespace hap::cli

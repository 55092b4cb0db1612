// Where a program a runner runs came from, stored with every run: a binary
// built by hand (Nabla's runnc and tenders, Kata) is known only by its bytes,
// so the store keeps its sha256 and whence it was installed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace hap {

// {"path": P, "sha256": HEX, "size": BYTES, "origin": WHERE} for the file at
// `path` (symlinks followed; path is the one given). WHERE is, first match:
//   the origin column of `installed_tsv` for that path ("lab --install
//     HOST:DIR", written by scripts/lab/guest-init: guest path, size,
//     sha256, origin, tab-separated, one file a line);
//   "debian package NAME VERSION" when dpkg owns the file;
//   "not from a package".
// sha256 comes from sha256sum (coreutils); a file that cannot be read has
// "error": "cannot read PATH" instead of sha256 and size. Never throws.
nlohmann::json binary_origin(const std::string& path, const std::string& installed_tsv = "/etc/hap/installed.tsv");

// The origin column of `tsv` for `path`, "" when the file or line is absent.
std::string installed_origin(const std::string& tsv_text, const std::string& path);

}  // namespace hap

// Quoting logs in errors (common/files.h): the last line, and the last line
// a given program wrote, of a serial console's \r\n text. The text is the
// tail of a real microvm guest console from the lab (its init gave up, then
// the kernel rebooted).
#include <catch2/catch.hpp>

#include "files.h"

using namespace hap;

namespace {
const std::string kConsole =
    "hap-vm: loading 25 modules\r\n"
    "[   14.666627] virtio_blk virtio1: [vda] 456524 512-byte logical blocks (234 MB/223 MiB)\r\n"
    "hap-vm: mounting the root (blk)\r\n"
    "[   16.088367] EXT4-fs (vda): Cannot load crc32c driver.\r\n"
    "mount: mounting /dev/vda on /newroot failed: No such file or directory\r\n"
    "hap-vm: FAILED: cannot mount /dev/vda (ext4)\r\n"
    "[   16.181236] reboot: Restarting system\r\n"
    "[   16.186503] reboot: machine restart\r\n\r\n";
}  // namespace

TEST_CASE("last_line quotes a console's last line without its \\r", "[files]") {
    CHECK(last_line(kConsole) == "[   16.186503] reboot: machine restart");
    CHECK(last_line("one\ntwo\n") == "two");
    CHECK(last_line("progress 10%\rprogress 100%") == "progress 100%");
    CHECK(last_line("  \n\r\n") == "");
    CHECK(last_line("") == "");
}

TEST_CASE("last_line_starting finds what one program said before later lines", "[files]") {
    CHECK(last_line_starting(kConsole, "hap-vm: ") == "hap-vm: FAILED: cannot mount /dev/vda (ext4)");
    CHECK(last_line_starting(kConsole, "mount: ") == "mount: mounting /dev/vda on /newroot failed: No such file or directory");
    CHECK(last_line_starting(kConsole, "nobody: ") == "");
}

TEST_CASE("last_line_of_file is empty for a file that cannot be read", "[files]") {
    CHECK(last_line_of_file("/nonexistent/hap/log") == "");
}

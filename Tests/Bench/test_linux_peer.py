"""Host tests of Tools/linux_peer.py's module handling for the disk benchmarks (ctest
host.bench-tool): dependencies read from a module's .modinfo, and the initramfs layout."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tools"))
import linux_peer  # noqa: E402


class ModuleTests(unittest.TestCase):
    def test_dependencies_come_from_modinfo_and_dashes_become_underscores(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "virtio_blk.ko")
            with open(path, "wb") as module:
                module.write(b"\x7fELF...\0license=GPL\0depends=virtio,virtio-ring\0intree=Y\0")
            self.assertEqual(linux_peer.module_dependencies(path), ["virtio", "virtio_ring"])
            with open(path, "wb") as module:
                module.write(b"\x7fELF...\0depends=\0intree=Y\0")
            self.assertEqual(linux_peer.module_dependencies(path), [])
            self.assertEqual(linux_peer.module_name("crc-t10dif.ko"), "crc_t10dif")

    def test_the_initramfs_carries_the_modules_and_their_order(self):
        with tempfile.TemporaryDirectory() as directory:
            init = os.path.join(directory, "init")
            with open(init, "wb") as binary:
                binary.write(b"INIT")
            for name in ("a.ko", "b.ko"):
                with open(os.path.join(directory, name), "wb") as module:
                    module.write(name.encode())
            archive_path = linux_peer.make_initramfs(init, os.path.join(directory, "out.cpio"), directory,
                                                     ["b.ko", "a.ko"])
            with open(archive_path, "rb") as archive:
                data = archive.read()
            self.assertIn(b"modules/order\0", data)
            self.assertIn(b"b.ko\na.ko\n", data)
            self.assertIn(b"modules/a.ko\0", data)
            self.assertTrue(data.rstrip(b"\0").endswith(b"TRAILER!!!"))


if __name__ == "__main__":
    unittest.main()

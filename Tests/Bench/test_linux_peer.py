"""Host tests of Tools/linux_peer.py's module handling for the disk and file system
benchmarks (ctest host.bench-tool): dependencies read from a module's .modinfo, their load
order, the initramfs layout, and the peer mode on the kernel command line."""
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

    def test_the_load_order_puts_every_module_after_its_dependencies(self):
        with tempfile.TemporaryDirectory() as directory:
            modinfo = {"ext4": "jbd2,mbcache,crc16", "jbd2": "", "mbcache": "", "crc16": "",
                       "crc32c_generic": "", "unused": "ext4"}
            paths = {}
            for name, depends in modinfo.items():
                with open(os.path.join(directory, f"{name}.ko"), "wb") as module:
                    module.write(b"\x7fELF\0depends=" + depends.encode() + b"\0")
                paths[name] = f"{name}.ko"
            order = linux_peer.module_load_order(directory, paths, ["crc32c_generic", "ext4"])
            self.assertEqual(order[0], "crc32c_generic.ko")
            self.assertEqual(order[-1], "ext4.ko")
            self.assertEqual(set(order), {"crc32c_generic.ko", "jbd2.ko", "mbcache.ko", "crc16.ko", "ext4.ko"})
            with self.assertRaises(RuntimeError):
                linux_peer.module_load_order(directory, {"ext4": "ext4.ko"}, ["ext4"])

    def test_the_file_system_modules_include_ext4_and_the_disk_driver(self):
        self.assertIn("ext4", linux_peer.FILE_SYSTEM_MODULES)
        self.assertIn("virtio_blk", linux_peer.FILE_SYSTEM_MODULES)
        for path in ("./lib/modules/6.1.0-56-amd64/kernel/fs/ext4/ext4.ko",
                     "./lib/modules/6.1.0-56-amd64/kernel/fs/jbd2/jbd2.ko",
                     "./lib/modules/6.1.0-56-amd64/kernel/fs/mbcache.ko",
                     "./lib/modules/6.1.0-56-amd64/kernel/lib/crc16.ko",
                     "./lib/modules/6.1.0-56-amd64/kernel/crypto/crc32c_generic.ko",
                     "./lib/modules/6.1.0-56-amd64/kernel/drivers/block/virtio_blk.ko"):
            self.assertTrue(linux_peer.MODULE_DIRECTORIES.fullmatch(path), path)
        self.assertFalse(linux_peer.MODULE_DIRECTORIES.fullmatch("./lib/modules/6.1.0-56-amd64/kernel/fs/xfs/xfs.ko"))

    def test_the_peer_mode_is_on_the_kernel_command_line(self):
        def append(command):
            return command[command.index("-append") + 1]

        with tempfile.TemporaryDirectory() as directory:
            image = os.path.join(directory, "disk.img")
            open(image, "wb").close()
            plain = linux_peer.qemu_command("vmlinuz", "initramfs", 1, False)
            self.assertNotIn("peer=", append(plain))
            disks = linux_peer.qemu_command("vmlinuz", "initramfs", 1, False, [f"{image}:virtio"])
            self.assertTrue(append(disks).endswith(" peer=disks"))
            files = linux_peer.qemu_command("vmlinuz", "initramfs", 1, False, [f"{image}:virtio"], peer="files")
            self.assertTrue(append(files).endswith(" peer=files"))
            self.assertIn(f"file={image},format=raw,if=none,id=disk0", files)

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

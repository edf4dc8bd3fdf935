# SPDX-License-Identifier: AGPL-3.0-or-later
"""
A pass-through FUSE file system whose writes can be switched off while files stay open: while the
file FLAG exists, every operation that would change something fails with EROFS, exactly what a
file system remounted read-only answers; reads keep working. The kernel refuses `mount -o
remount,ro` under LMDB's open files (EBUSY), so disk-full.test.ts mounts the data dir through this
to turn it read-only under a running gateway and back.

Usage (Debian's python3 with python3-fusepy, as root): rofs.py SOURCE MOUNTPOINT FLAG
"""
import errno
import os
import sys

from fusepy import FUSE, FuseOSError, Operations


class Switchable(Operations):
    def __init__(self, source, flag):
        self.source = os.path.realpath(source)
        self.flag = flag

    def _path(self, path):
        return os.path.join(self.source, path.lstrip('/'))

    def _writable(self):
        if os.path.exists(self.flag):
            raise FuseOSError(errno.EROFS)

    # reads
    def getattr(self, path, fh=None):
        st = os.lstat(self._path(path)) if fh is None else os.fstat(fh)
        keys = ('st_mode', 'st_nlink', 'st_uid', 'st_gid', 'st_size', 'st_atime', 'st_mtime', 'st_ctime')
        return {k: getattr(st, k) for k in keys}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._path(path))

    def readlink(self, path):
        return os.readlink(self._path(path))

    def statfs(self, path):
        st = os.statvfs(self._path(path))
        keys = ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')
        return {k: getattr(st, k) for k in keys}

    def access(self, path, mode):
        if mode & os.W_OK:
            self._writable()
        if not os.access(self._path(path), mode):
            raise FuseOSError(errno.EACCES)

    def open(self, path, flags):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_TRUNC | os.O_APPEND):
            self._writable()
        # the kernel fills the page cache (mmap, partial writes) through any handle: never write-only
        if flags & os.O_WRONLY:
            flags = (flags & ~os.O_WRONLY) | os.O_RDWR
        return os.open(self._path(path), flags)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    # writes
    def create(self, path, mode, fi=None):
        self._writable()
        return os.open(self._path(path), os.O_RDWR | os.O_CREAT, mode)

    def write(self, path, data, offset, fh):
        self._writable()
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        self._writable()
        if fh is None:
            os.truncate(self._path(path), length)
        else:
            os.ftruncate(fh, length)

    def fsync(self, path, datasync, fh):
        self._writable()
        if datasync:
            os.fdatasync(fh)
        else:
            os.fsync(fh)
        return 0

    def mkdir(self, path, mode):
        self._writable()
        os.mkdir(self._path(path), mode)

    def rmdir(self, path):
        self._writable()
        os.rmdir(self._path(path))

    def unlink(self, path):
        self._writable()
        os.unlink(self._path(path))

    def rename(self, old, new):
        self._writable()
        os.rename(self._path(old), self._path(new))

    def link(self, target, source):
        self._writable()
        os.link(self._path(source), self._path(target))

    def symlink(self, target, source):
        self._writable()
        os.symlink(source, self._path(target))

    def chmod(self, path, mode):
        self._writable()
        os.chmod(self._path(path), mode)

    def chown(self, path, uid, gid):
        self._writable()
        os.chown(self._path(path), uid, gid)

    def utimens(self, path, times=None):
        self._writable()
        os.utime(self._path(path), times)


if __name__ == '__main__':
    source, mountpoint, flag = sys.argv[1:4]
    # foreground: the test owns this process and ends it; the kernel page cache serves LMDB's mmap
    FUSE(Switchable(source, flag), mountpoint, foreground=True, nothreads=False)

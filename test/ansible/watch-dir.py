# Test-only, run on a container: print every entry event in a directory
# (inotify), one "EVENT NAME" line each, until killed. "ready" once watching.
import ctypes
import os
import struct
import sys

EVENTS = {0x100: 'CREATE', 0x80: 'MOVED_TO', 0x4: 'ATTRIB', 0x8: 'CLOSE_WRITE', 0x2: 'MODIFY'}
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), sum(EVENTS)) < 0:
    sys.exit(f'inotify on {sys.argv[1]}: {os.strerror(ctypes.get_errno())}')
print('ready', flush=True)
while True:
    buf = os.read(fd, 65536)
    at = 0
    while at < len(buf):
        _, mask, _, size = struct.unpack_from('iIII', buf, at)
        name = buf[at + 16:at + 16 + size].rstrip(b'\0').decode(errors='replace')
        at += 16 + size
        for bit, event in EVENTS.items():
            if mask & bit:
                print(event, name, flush=True)

import socket, struct, os, sys
out = sys.argv[1]
SOL_NETLINK=270
def sock(ext=True, cap=True):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    if cap: s.setsockopt(SOL_NETLINK, 10, 1)
    if ext: s.setsockopt(SOL_NETLINK, 11, 1)
    s.bind((0, 0))
    return s
def hdr(length, typ, flags, seq): return struct.pack('=IHHII', length, typ, flags, seq, 0)
def attr(t, data):
    l = 4 + len(data); return struct.pack('=HH', l, t) + data + b'\0' * ((4 - l % 4) % 4)
def msg(typ, flags, seq, body):
    return hdr(16 + len(body), typ, flags, seq) + body
def save(name, data):
    open(os.path.join(out, name), 'w').write(data.hex() + '\n')
# 1: RTM_GETLINK index 1 (lo), no ACK -> one RTM_NEWLINK
s = sock()
ifi = struct.pack('=BxHiII', 0, 0, 1, 0, 0)
s.send(msg(18, 1, 101, ifi + attr(29, struct.pack('=I', 8))))
save('newlink-lo.hex', s.recv(65536))
# 2: RTM_GETADDR dump
s.send(msg(22, 1 | 0x300, 102, struct.pack('=BBBBI', 0, 0, 0, 0, 0)))
d = s.recv(65536); save('getaddr-dump.hex', d)
d = s.recv(65536); save('getaddr-done.hex', d)
# 3: NLMSG_ERROR with extack (capped): unknown link kind
ifi0 = struct.pack('=BxHiII', 0, 0, 0, 0, 0)
body = ifi0 + attr(3, b'bad0\0') + attr(18, attr(1, b'nosuchkind\0'))
s.send(msg(16, 1 | 4 | 0x400 | 0x200, 103, body))
save('error-extack-capped.hex', s.recv(65536))
# 4: same without CAP_ACK: the request is echoed before the TLVs
s2 = sock(ext=True, cap=False)
s2.send(msg(16, 1 | 4 | 0x400 | 0x200, 104, body))
save('error-extack-uncapped.hex', s2.recv(65536))
# 5: plain ACK
s.send(msg(16, 1 | 4, 105, ifi0 + attr(3, b'lo\0')))
save('ack.hex', s.recv(65536))
# 6: route dump
s.send(msg(26, 1 | 0x300, 106, struct.pack('=BBBBBBBBI', 0, 0, 0, 0, 0, 0, 0, 0, 0)))
save('getroute-dump.hex', s.recv(65536))

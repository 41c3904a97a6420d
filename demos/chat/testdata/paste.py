"""The red team's burst, as a real client: members join a chat room, one
or more of them paste short lines, each paste in one write, and every
other member must get every line and still be connected afterwards.

    python3 paste.py HOST PORT MEMBERS LINES PASTERS

Members are guest1 ... guestMEMBERS, in order of connection; the first
PASTERS of them paste LINES lines each, at once. Exit status 0 when
nobody was disconnected; otherwise it says who and why.
"""
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    members, lines, pasters = (int(a) for a in sys.argv[3:6])
    conns = []
    for i in range(members):
        s = socket.create_connection((host, port), timeout=30)
        conns.append((s, s.makefile("rb")))
    names = [f"guest{i + 1}" for i in range(members)]

    def readline(i, want):
        line = conns[i][1].readline()
        if not line:
            sys.exit(f"{names[i]}: disconnected while waiting for {want}")
        return line

    # Each member hears of the ones that joined after it, in any order.
    for i in range(members):
        joins = {f"{names[j]} joined\n".encode() for j in range(i + 1, members)}
        while joins:
            line = readline(i, "a join")
            if line not in joins:
                sys.exit(f"{names[i]}: read {line!r}, want a join")
            joins.discard(line)
    for p in range(pasters):
        conns[p][0].sendall(b"".join(b"line %d\n" % n for n in range(lines)))
    # Each member gets every other paster's lines, each paste in order
    # (pastes may interleave).
    for i in range(members):
        want = {p: 0 for p in range(pasters) if p != i}
        left = lines * len(want)
        while left:
            line = readline(i, "a pasted line")
            name, _, text = line.decode().rstrip("\n").partition(": ")
            p = names.index(name) if name in names else -1
            if p not in want or text != f"line {want[p]}":
                sys.exit(f"{names[i]}: read {line!r}")
            want[p] += 1
            left -= 1
    # Still connected: one more line reaches everyone.
    conns[0][0].sendall(b"still there?\n")
    for i in range(1, members):
        line = readline(i, "the last line")
        if line != b"guest1: still there?\n":
            sys.exit(f"{names[i]}: read {line!r}, want the last line")
    print(f"{members} members, {pasters} pasting {lines} lines each at once: nobody was disconnected")


if __name__ == "__main__":
    main()

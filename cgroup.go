package main

import (
	"bufio"
	"os"
	"path"
	"strconv"
	"strings"
)

// cgroupMemoryLimit returns the memory limit of the cgroup this process
// runs in (container memory limits, systemd MemoryMax), or 0 when there is
// none. root is the file system root ("/"; tests pass a directory laid out
// like one). For cgroup v2 it reads memory.max of the process's cgroup
// (from /proc/self/cgroup) and of every ancestor up to the mount, keeping
// the smallest; for v1, memory.limit_in_bytes of the memory controller's
// group the same way. "max" and v1's "unlimited" (a value near 2^63) count
// as no limit.
func cgroupMemoryLimit(root string) int64 {
	f, err := os.Open(path.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	defer f.Close()
	var limit int64
	s := bufio.NewScanner(f)
	for s.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir, file string
		switch {
		case parts[0] == "0" && parts[1] == "": // v2 unified hierarchy
			dir, file = path.Join(root, "sys/fs/cgroup"), "memory.max"
		case hasController(parts[1], "memory"): // v1
			dir, file = path.Join(root, "sys/fs/cgroup/memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		if l := smallestLimit(dir, parts[2], file); l > 0 && (limit == 0 || l < limit) {
			limit = l
		}
	}
	return limit
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// smallestLimit reads file in the group at mount+group and each ancestor up
// to mount, and returns the smallest limit found (0 = none). Inside a
// container with its own cgroup namespace the group is "/" and only the
// mount's own file is read.
func smallestLimit(mount, group, file string) int64 {
	var limit int64
	for g := path.Clean("/" + group); ; g = path.Dir(g) {
		if l := readLimit(path.Join(mount, g, file)); l > 0 && (limit == 0 || l < limit) {
			limit = l
		}
		if g == "/" {
			return limit
		}
	}
}

// readLimit parses one limit file: a byte count, or "max"/absent/a value
// of 2^60 or more (v1's unlimited) for none.
func readLimit(name string) int64 {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	v := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0
	}
	return n
}

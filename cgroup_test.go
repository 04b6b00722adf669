package main

import (
	"os"
	"path/filepath"
	"testing"
)

// writeTree creates files (path → content) under a new root directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCgroupMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"no cgroup file", map[string]string{}, 0},
		{"v2 container (own namespace)", map[string]string{
			"proc/self/cgroup":          "0::/\n",
			"sys/fs/cgroup/memory.max":  "536870912\n",
			"sys/fs/cgroup/cgroup.proc": "",
		}, 512 << 20},
		{"v2 unlimited", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "max\n",
		}, 0},
		{"v2 systemd service, limit on the unit", map[string]string{
			"proc/self/cgroup": "0::/system.slice/imgedge.service\n",
			"sys/fs/cgroup/system.slice/imgedge.service/memory.max": "2147483648\n",
			"sys/fs/cgroup/system.slice/memory.max":                 "max\n",
		}, 2 << 30},
		{"v2 tighter ancestor wins", map[string]string{
			"proc/self/cgroup":             "0::/a/b\n",
			"sys/fs/cgroup/a/b/memory.max": "4294967296\n",
			"sys/fs/cgroup/a/memory.max":   "1073741824\n",
		}, 1 << 30},
		{"v1 memory controller", map[string]string{
			"proc/self/cgroup": "12:cpu,cpuacct:/docker/x\n4:memory:/docker/x\n",
			"sys/fs/cgroup/memory/docker/x/memory.limit_in_bytes": "268435456\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":          "9223372036854771712\n",
		}, 256 << 20},
		{"v1 unlimited", map[string]string{
			"proc/self/cgroup":                           "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := cgroupMemoryLimit(writeTree(t, c.files)); got != c.want {
				t.Errorf("got %d; want %d", got, c.want)
			}
		})
	}
}

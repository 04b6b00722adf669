package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall runs `make install` into a DESTDIR for both prefixes and
// checks the installed files: binary, unit with rewritten paths (and that
// systemd-analyze accepts it), and the environment file and its example.
// The build step is skipped (-o build) and BIN points at this test binary:
// only the install recipe is under test.
func TestMakeInstall(t *testing.T) {
	mk := needTool(t, "make")
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix, bindir, unitdir, confdir string
	}{
		{"/usr", "/usr/bin", "/lib/systemd/system", "/etc/imgedge"},
		{"/usr/local", "/usr/local/bin", "/usr/local/lib/systemd/system", "/usr/local/etc/imgedge"},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			dest := t.TempDir()
			cmd := exec.Command(mk, "-s", "-o", "build", "install", "DESTDIR="+dest, "PREFIX="+tc.prefix, "BIN="+bin)
			cmd.Dir = repoRoot
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make install: %v\n%s", err, out)
			}
			if fi, err := os.Stat(filepath.Join(dest, tc.bindir, "imgedge")); err != nil || fi.Mode()&0o111 == 0 {
				t.Errorf("binary not installed executable in %s: %v", tc.bindir, err)
			}
			unit := filepath.Join(dest, tc.unitdir, "imgedge.service")
			b, err := os.ReadFile(unit)
			if err != nil {
				t.Fatalf("unit not installed: %v", err)
			}
			u := unitSettings(t, string(b))
			if got, want := u["Service"]["ExecStart"], tc.bindir+"/imgedge"; len(got) != 1 || got[0] != want {
				t.Errorf("installed ExecStart: got %q; want %q", got, want)
			}
			if got, want := u["Service"]["EnvironmentFile"], "-"+tc.confdir+"/imgedge.env"; len(got) != 1 || got[0] != want {
				t.Errorf("installed EnvironmentFile: got %q; want %q", got, want)
			}
			for _, f := range []string{"imgedge.env", "imgedge.env.example"} {
				got, err := os.ReadFile(filepath.Join(dest, tc.confdir, f))
				if err != nil {
					t.Errorf("%s not installed: %v", f, err)
					continue
				}
				if want := readRepoFile(t, "deploy/systemd/imgedge.env.example"); string(got) != want {
					t.Errorf("%s differs from deploy/systemd/imgedge.env.example", f)
				}
			}
			// A second install keeps an edited imgedge.env.
			envPath := filepath.Join(dest, tc.confdir, "imgedge.env")
			if err := os.WriteFile(envPath, []byte("IMGPROXY_TTL=60\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command(mk, "-s", "-o", "build", "install", "DESTDIR="+dest, "PREFIX="+tc.prefix, "BIN="+bin)
			cmd.Dir = repoRoot
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("second make install: %v\n%s", err, out)
			}
			if got, _ := os.ReadFile(envPath); string(got) != "IMGPROXY_TTL=60\n" {
				t.Errorf("second make install overwrote the edited imgedge.env: got %q", got)
			}

			if tool, err := exec.LookPath("systemd-analyze"); err == nil {
				fixed := strings.ReplaceAll(string(b), "ExecStart="+tc.bindir+"/imgedge", "ExecStart="+filepath.Join(dest, tc.bindir, "imgedge"))
				p := filepath.Join(t.TempDir(), "imgedge.service")
				if err := os.WriteFile(p, []byte(fixed), 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(tool, "verify", "--man=no", p).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
					t.Errorf("systemd-analyze verify on the installed unit: %v\n%s", err, out)
				}
			}
		})
	}
}

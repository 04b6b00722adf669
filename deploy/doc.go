// Package deploy holds imgedge's packaging files (systemd unit, environment
// file example, Kubernetes manifests) and the tests that check them offline:
//
//   - the Dockerfile parses, has a build and a runtime stage, runs as a
//     non-root user, has a HEALTHCHECK using `imgedge health`, and its runtime
//     stage installs Debian packages that provide every shared library the
//     binary needs (ldd + dpkg -S + apt-cache depends);
//   - the systemd unit passes `systemd-analyze verify` and a minimum
//     `systemd-analyze security` exposure score;
//   - the Kubernetes manifests decode strictly into the k8s.io/api types and
//     agree with each other (ports, probes, names, grace periods).
//
// The package has no runtime code; it exists for its tests.
package deploy

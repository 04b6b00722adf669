//go:build race

package deploy

// raceEnabled makes builtBinary build with -race too, so that under
// `go test -race ./...` it reuses the packages already compiled for the
// other tests instead of compiling everything a second time.
const raceEnabled = true

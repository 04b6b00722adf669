package cloudwatch

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/imgedge/imgedge/monitoring"
)

// putMetricData is the part of a PutMetricData request the test reads.
type putMetricData struct {
	Namespace  string
	MetricData []struct {
		MetricName string
		Unit       string
		Value      float64
		Dimensions []struct{ Name, Value string }
	}
}

// TestPutMetricData runs the sender against a loopback endpoint that
// decodes the SDK's requests (Smithy RPC v2 CBOR, the protocol the
// CloudWatch client speaks) and checks names, units, values and the
// dimension.
func TestPutMetricData(t *testing.T) {
	var mu sync.Mutex
	var got []putMetricData
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in putMetricData
		if err := cbor.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, in)
		paths = append(paths, r.URL.Path+" "+r.Header.Get("Smithy-Protocol"))
		mu.Unlock()
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		w.Write([]byte{0xa0}) // empty CBOR map
	}))
	defer srv.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_REGION": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": filepath.Join(dir, "c"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "s"), "AWS_ENDPOINT_URL_CLOUDWATCH": srv.URL} {
		t.Setenv(k, v)
	}

	cfg := DefaultConfig()
	cfg.ServiceName, cfg.Namespace, cfg.Interval = "images", "imgedge-test", 20*time.Millisecond
	stats := func() monitoring.Snapshot {
		return monitoring.Snapshot{Workers: 8, RequestsInProgress: 2, ImagesInProgress: 1, VipsMemory: 1000, VipsMaxMemory: 2000, VipsAllocs: 3}
	}
	s, err := New(context.Background(), cfg, stats)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Stop(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("got %d PutMetricData calls; want periodic sends", len(got))
	}
	if !strings.HasSuffix(paths[0], "/operation/PutMetricData rpc-v2-cbor") {
		t.Fatalf("request %q; want PutMetricData over rpc-v2-cbor", paths[0])
	}
	in := got[0]
	if in.Namespace != "imgedge-test" {
		t.Fatalf("namespace %q; want imgedge-test", in.Namespace)
	}
	want := map[string]string{"Workers": "Count 8", "RequestsInProgress": "Count 2", "ImagesInProgress": "Count 1",
		"ConcurrencyUtilization": "Percent 25", "WorkersUtilization": "Percent 25", "VipsMemory": "Bytes 1000",
		"VipsMaxMemory": "Bytes 2000", "VipsAllocs": "Count 3"}
	if len(in.MetricData) != len(want) {
		t.Fatalf("got %d data points; want %d", len(in.MetricData), len(want))
	}
	for _, d := range in.MetricData {
		if g := d.Unit + " " + fmtFloat(d.Value); g != want[d.MetricName] {
			t.Errorf("%s: got %q; want %q", d.MetricName, g, want[d.MetricName])
		}
		if len(d.Dimensions) != 1 || d.Dimensions[0].Name != "ServiceName" || d.Dimensions[0].Value != "images" {
			t.Errorf("%s: dimensions %+v; want ServiceName=images", d.MetricName, d.Dimensions)
		}
	}
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestConfigOff(t *testing.T) {
	if s, err := New(context.Background(), DefaultConfig(), nil); s != nil || err != nil {
		t.Fatalf("off: got %v, %v; want nil, nil", s, err)
	}
	cfg := DefaultConfig()
	cfg.ServiceName, cfg.Namespace = "x", ""
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "IMGPROXY_CLOUD_WATCH_NAMESPACE") {
		t.Fatalf("got %v; want an error naming IMGPROXY_CLOUD_WATCH_NAMESPACE", err)
	}
}
